"""GenAI semantic-convention attributes from request and response JSON (pure: no I/O).

The names follow the OpenTelemetry GenAI semantic conventions pinned in
docs/observability.md. The functions read the JSON the client sends and receives; they
never see headers, so a credential cannot reach an attribute through them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, cast

__all__ = [
    "AttributeValue",
    "Endpoint",
    "ResponseFacts",
    "endpoint_of",
    "request_attributes",
]

AttributeValue = str | bool | int | float | list[str]

# gen_ai.operation.name and openai.api.type per POST path (the tail after the base URL).
Endpoint = tuple[str, str | None]
_ENDPOINTS: Final[Mapping[str, Endpoint]] = {
    "/chat/completions": ("chat", "chat_completions"),
    "/responses": ("chat", "responses"),
    "/completions": ("text_completion", None),
    "/embeddings": ("embeddings", None),
}


_NUMERIC_PARAMETERS: Final[Mapping[str, str]] = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "seed": "gen_ai.request.seed",
    # The first present of max_output_tokens, max_completion_tokens, max_tokens.
    "max_output_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
    "max_tokens": "gen_ai.request.max_tokens",
    "n": "gen_ai.request.choice.count",  # when not 1
}


def endpoint_of(method: str, path: str) -> Endpoint | None:
    """The operation of an inference request, or None for any other request."""
    if method != "POST":
        return None
    for tail, endpoint in _ENDPOINTS.items():
        if path.endswith(tail):
            return endpoint
    return None


def _number(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _output_type(body: Mapping[str, object], api_type: str | None) -> str | None:
    if api_type == "responses":
        text = body.get("text")
        fmt = cast("Mapping[str, object]", text).get("format") if isinstance(text, dict) else None
    else:
        fmt = body.get("response_format")
    kind = cast("Mapping[str, object]", fmt).get("type") if isinstance(fmt, dict) else None
    if kind in ("json_object", "json_schema"):
        return "json"
    return "text" if kind == "text" else None


def request_attributes(
    operation: str, api_type: str | None, body: Mapping[str, object]
) -> dict[str, AttributeValue]:
    """The gen_ai.request.* (and openai.request.*) attributes of one request body."""
    attrs: dict[str, AttributeValue] = {}
    limits: dict[str, int | float] = {}
    # One pass over the (few) keys sent rather than a lookup per parameter known.
    for key, value in body.items():
        name = _NUMERIC_PARAMETERS.get(key)
        number = None if name is None else _number(value)
        if name is None or number is None:
            continue
        if name == "gen_ai.request.max_tokens":
            limits[key] = number
        elif name != "gen_ai.request.choice.count" or number != 1:
            attrs[name] = number
    for key in ("max_output_tokens", "max_completion_tokens", "max_tokens"):
        if key in limits:
            attrs["gen_ai.request.max_tokens"] = limits[key]
            break
    stop = body.get("stop")
    if isinstance(stop, str):
        attrs["gen_ai.request.stop_sequences"] = [stop]
    elif isinstance(stop, list):
        attrs["gen_ai.request.stop_sequences"] = [
            s for s in cast("list[object]", stop) if isinstance(s, str)
        ]
    if operation == "embeddings":
        fmt = body.get("encoding_format")
        if isinstance(fmt, str):
            attrs["gen_ai.request.encoding_formats"] = [fmt]
    output_type = _output_type(body, api_type)
    if output_type is not None:
        attrs["gen_ai.output.type"] = output_type
    tier = body.get("service_tier")
    if isinstance(tier, str):
        attrs["openai.request.service_tier"] = tier
    conversation = body.get("conversation")
    if isinstance(conversation, dict):
        conversation = cast("Mapping[str, object]", conversation).get("id")
    if isinstance(conversation, str):
        attrs["gen_ai.conversation.id"] = conversation
    return attrs


class ResponseFacts:
    """What a response said about itself, merged from one JSON body or many stream events."""

    __slots__ = (
        "cached_tokens",
        "fingerprint",
        "finish_reasons",
        "input_tokens",
        "model",
        "output_tokens",
        "reasoning_tokens",
        "response_id",
        "service_tier",
    )

    def __init__(self) -> None:
        self.response_id: str | None = None
        self.model: str | None = None
        self.finish_reasons: dict[int, str] = {}
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.cached_tokens: int | None = None
        self.reasoning_tokens: int | None = None
        self.service_tier: str | None = None
        self.fingerprint: str | None = None

    def merge(self, obj: object, api_type: str | None) -> None:
        """Take what ``obj`` (a response body or one stream event) says."""
        if not isinstance(obj, dict):
            return
        data = cast("Mapping[str, object]", obj)
        if api_type == "responses":
            inner = data.get("response")
            if isinstance(inner, dict):  # a stream event carrying the response object
                data = cast("Mapping[str, object]", inner)
            elif data.get("object") != "response":
                return
            self._merge_common(data)
            status = data.get("status")
            incomplete = data.get("incomplete_details")
            reason = (
                cast("Mapping[str, object]", incomplete).get("reason")
                if isinstance(incomplete, dict)
                else None
            )
            if isinstance(reason, str):
                self.finish_reasons = {0: reason}
            elif isinstance(status, str) and status not in ("in_progress", "queued"):
                self.finish_reasons = {0: status}
            self._merge_usage(data.get("usage"), "input_tokens", "output_tokens")
            return
        self._merge_common(data)
        fingerprint = data.get("system_fingerprint")
        if isinstance(fingerprint, str):
            self.fingerprint = fingerprint
        choices = data.get("choices")
        if isinstance(choices, list):
            for position, choice in enumerate(cast("list[object]", choices)):
                if not isinstance(choice, dict):
                    continue
                entry = cast("Mapping[str, object]", choice)
                reason = entry.get("finish_reason")
                index = entry.get("index")
                if isinstance(reason, str):
                    self.finish_reasons[index if isinstance(index, int) else position] = reason
        self._merge_usage(data.get("usage"), "prompt_tokens", "completion_tokens")

    def _merge_common(self, data: Mapping[str, object]) -> None:
        response_id, model, tier = data.get("id"), data.get("model"), data.get("service_tier")
        if isinstance(response_id, str):
            self.response_id = response_id
        if isinstance(model, str):
            self.model = model
        if isinstance(tier, str):
            self.service_tier = tier

    def _merge_usage(self, usage: object, input_key: str, output_key: str) -> None:
        if not isinstance(usage, dict):
            return
        fields = cast("Mapping[str, object]", usage)
        if input_key not in fields and "input_tokens" in fields:  # embeddings, completions
            input_key = "input_tokens"
        elif input_key not in fields and "prompt_tokens" in fields:
            input_key = "prompt_tokens"
        value = fields.get(input_key)
        if isinstance(value, int):
            self.input_tokens = value
        value = fields.get(output_key)
        if isinstance(value, int):
            self.output_tokens = value
        for details_key, key, slot in (
            ("prompt_tokens_details", "cached_tokens", "cached_tokens"),
            ("input_tokens_details", "cached_tokens", "cached_tokens"),
            ("completion_tokens_details", "reasoning_tokens", "reasoning_tokens"),
            ("output_tokens_details", "reasoning_tokens", "reasoning_tokens"),
        ):
            details = fields.get(details_key)
            if isinstance(details, dict):
                count = cast("Mapping[str, object]", details).get(key)
                if isinstance(count, int):
                    setattr(self, slot, count)

    def attributes(self) -> dict[str, AttributeValue]:
        attrs: dict[str, AttributeValue] = {}
        if self.response_id is not None:
            attrs["gen_ai.response.id"] = self.response_id
        if self.model is not None:
            attrs["gen_ai.response.model"] = self.model
        if self.finish_reasons:
            attrs["gen_ai.response.finish_reasons"] = [
                self.finish_reasons[i] for i in sorted(self.finish_reasons)
            ]
        for value, name in (
            (self.input_tokens, "gen_ai.usage.input_tokens"),
            (self.output_tokens, "gen_ai.usage.output_tokens"),
            (self.cached_tokens, "gen_ai.usage.cache_read.input_tokens"),
            (self.reasoning_tokens, "gen_ai.usage.reasoning.output_tokens"),
        ):
            if value is not None:
                attrs[name] = value
        if self.service_tier is not None:
            attrs["openai.response.service_tier"] = self.service_tier
        if self.fingerprint is not None:
            attrs["openai.response.system_fingerprint"] = self.fingerprint
        return attrs
