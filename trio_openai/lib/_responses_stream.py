"""The Responses stream helper: typed events, text deltas, the final Response, and resume.

    async with client.responses.stream(model=..., input=...) as stream:
        async for delta in stream.text_deltas():
            print(delta, end="")
        final = await stream.get_final_response()

Events are accumulated at the JSON level into a snapshot of the Response (items, content
parts, text, function-call arguments, reasoning), and ``response.completed`` (or failed /
incomplete) replaces the snapshot with the server's own object, so the final Response equals
the one a non-streaming call returns (its ``output_text`` property computed, as the SDKs do).

Resume: if the connection breaks mid-stream after the response's id and some
``sequence_number`` are known, the helper reopens it with
``GET /responses/{id}?stream=true&starting_after=<last sequence number>`` (the route the API
offers for background/stored responses) and carries on without repeating or losing an
event. Events without a sequence number (some compatible servers) make a stream
non-resumable. ``resume=False`` turns this off; ``max_resumes`` bounds the attempts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Self, final

from .._errors import APIConnectionError, APIStatusError, APITimeoutError
from .._types import CallOptions, Omit

if TYPE_CHECKING:
    from .._client import OpenAI
    from .._streaming import Stream

__all__ = ["ResponseStream", "ResponseStreamManager"]

_TERMINAL: Final = frozenset({"response.completed", "response.failed", "response.incomplete"})


def _event_decoder() -> Callable[[Any], Any]:
    from ..types import decoder_for

    return decoder_for("ResponseStreamEvent")


def _response_decoder() -> Callable[[Any], Any]:
    from ..types import decoder_for

    return decoder_for("Response")


class _Snapshot:
    """The Response as the events so far describe it (plain JSON)."""

    __slots__ = ("response",)

    def __init__(self) -> None:
        self.response: dict[str, Any] | None = None

    def _item(self, event: dict[str, Any]) -> dict[str, Any] | None:
        if self.response is None:
            return None
        output = self.response.setdefault("output", [])
        index = event.get("output_index")
        if isinstance(index, int) and 0 <= index < len(output):
            return output[index]
        item_id = event.get("item_id")
        for item in reversed(output):
            if item_id is None or item.get("id") == item_id:
                return item
        return None

    def _part(self, event: dict[str, Any]) -> dict[str, Any] | None:
        item = self._item(event)
        if item is None:
            return None
        parts = item.setdefault("content", [])
        index = event.get("content_index")
        if isinstance(index, int) and 0 <= index < len(parts):
            return parts[index]
        return parts[-1] if parts else None

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if (
            kind in ("response.created", "response.in_progress", "response.queued")
            or kind in _TERMINAL
        ):
            response = event.get("response")
            if isinstance(response, dict):
                self.response = copy.deepcopy(response)
            return
        if self.response is None:
            return
        if kind == "response.output_item.added":
            output = self.response.setdefault("output", [])
            item = copy.deepcopy(event.get("item") or {})
            index = event.get("output_index")
            if isinstance(index, int) and index < len(output):
                output[index] = item
            else:
                output.append(item)
        elif kind == "response.output_item.done":
            output = self.response.setdefault("output", [])
            index = event.get("output_index")
            item = copy.deepcopy(event.get("item") or {})
            if isinstance(index, int) and index < len(output):
                output[index] = item
            else:
                output.append(item)
        elif kind == "response.content_part.added":
            item = self._item(event)
            if item is not None:
                item.setdefault("content", []).append(copy.deepcopy(event.get("part") or {}))
        elif kind == "response.content_part.done":
            item = self._item(event)
            if item is not None:
                parts = item.setdefault("content", [])
                index = event.get("content_index")
                part = copy.deepcopy(event.get("part") or {})
                if isinstance(index, int) and index < len(parts):
                    parts[index] = part
                else:
                    parts.append(part)
        elif kind in ("response.output_text.delta", "response.refusal.delta"):
            part = self._part(event)
            key = "text" if kind == "response.output_text.delta" else "refusal"
            if part is not None:
                part[key] = part.get(key, "") + str(event.get("delta", ""))
        elif kind == "response.output_text.done":
            part = self._part(event)
            if part is not None and "text" in event:
                part["text"] = event["text"]
        elif kind == "response.function_call_arguments.delta":
            item = self._item(event)
            if item is not None:
                item["arguments"] = item.get("arguments", "") + str(event.get("delta", ""))
        elif kind == "response.function_call_arguments.done":
            item = self._item(event)
            if item is not None and "arguments" in event:
                item["arguments"] = event["arguments"]


@final
class ResponseStream:
    """Typed Responses events of one response, with accumulation and resume."""

    def __init__(
        self,
        client: OpenAI,
        stream: Stream[Any],
        *,
        resume: bool,
        max_resumes: int,
        options: CallOptions,
    ) -> None:
        self._client = client
        self._stream = stream
        self._resume = resume
        self._resumes_left = max_resumes
        self._options = options
        self._snapshot = _Snapshot()
        self._decode = _event_decoder()
        self._last_sequence: int | None = None
        self._sequenced = True
        self._done = False
        self.resumes = 0

    @property
    def response_id(self) -> str | None:
        response = self._snapshot.response
        return None if response is None else response.get("id")

    @property
    def response(self) -> Any:
        """The raw httpx.Response of the current connection (changes after a resume)."""
        return self._stream.response

    http_response = response

    @property
    def request_id(self) -> str | None:
        return self._stream.request_id

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Any:
        while True:
            if self._done:
                raise StopAsyncIteration
            try:
                raw = await self._stream.__anext__()
            except StopAsyncIteration:
                self._done = True
                raise
            except (APIConnectionError, APITimeoutError) as exc:
                if not await self._reopen(exc):
                    raise
                continue
            if not isinstance(raw, dict):
                return self._decode(raw)
            sequence = raw.get("sequence_number")
            if isinstance(sequence, int):
                if self._last_sequence is not None and sequence <= self._last_sequence:
                    continue  # already delivered before a resume
                self._last_sequence = sequence
            else:
                self._sequenced = False
            self._snapshot.apply(raw)
            if raw.get("type") in _TERMINAL:
                self._done = True
            return self._decode(raw)

    async def _reopen(self, error: Exception) -> bool:
        """Resume after a broken connection; False when that is not possible."""
        response_id = self.response_id
        if (
            not self._resume
            or self._resumes_left <= 0
            or response_id is None
            or self._last_sequence is None
            or not self._sequenced
        ):
            return False
        self._resumes_left -= 1
        await self._stream.aclose()
        stream = self._client._stream(
            "GET",
            f"/responses/{response_id}",
            query={"stream": True, "starting_after": self._last_sequence},
            options=self._options,
        )
        try:
            await stream.__aenter__()
        except APIStatusError:
            return False  # not retrievable (not stored, not background): the cut stands
        self._stream = stream
        self.resumes += 1
        return True

    def text_deltas(self) -> _TextDeltas:
        """An async iterator of the text deltas only (for UIs)."""
        return _TextDeltas(self)

    async def until_done(self) -> None:
        async for _ in self:
            pass

    async def get_final_response(self) -> Any:
        """Consume the rest of the stream and return the accumulated `Response`."""
        await self.until_done()
        response = self._snapshot.response
        if response is None:
            raise APIConnectionError(
                "The stream ended before the response was created.", request=None
            )
        return _response_decoder()(copy.deepcopy(response))

    def current_snapshot(self) -> dict[str, Any] | None:
        """The accumulated Response so far, as JSON."""
        return None if self._snapshot.response is None else copy.deepcopy(self._snapshot.response)

    async def aclose(self) -> None:
        await self._stream.aclose()


@final
class _TextDeltas:
    __slots__ = ("_stream",)

    def __init__(self, stream: ResponseStream) -> None:
        self._stream = stream

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        while True:
            event = await self._stream.__anext__()
            if getattr(event, "type", None) == "response.output_text.delta":
                return str(event.delta)


@final
class ResponseStreamManager:
    """``async with`` opens the stream (request sent, retried until the headers arrive)."""

    def __init__(
        self,
        client: OpenAI,
        body: dict[str, Any],
        *,
        resume: bool = True,
        max_resumes: int = 3,
        options: CallOptions | None = None,
    ) -> None:
        self._client = client
        self._body = {k: v for k, v in body.items() if not isinstance(v, Omit)}
        self._body["stream"] = True
        self._resume = resume
        self._max_resumes = max_resumes
        self._options: CallOptions = options or {}
        self._stream: ResponseStream | None = None

    async def __aenter__(self) -> ResponseStream:
        stream = self._client._stream("POST", "/responses", body=self._body, options=self._options)
        await stream.__aenter__()
        self._stream = ResponseStream(
            self._client,
            stream,
            resume=self._resume,
            max_resumes=self._max_resumes,
            options=self._options,
        )
        return self._stream

    async def __aexit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            await self._stream.aclose()
