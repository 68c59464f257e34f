"""Hand-written methods of generated resources: what is not an HTTP operation of the spec.

This is the one way hand-written behaviour reaches a generated resource: the generator
makes the resource's class derive from the mixin `codegen.naming.MIXINS` names for it
(``class Responses(ResponsesExtras, Resource)``), so these methods sit next to the
generated ones without editing generated code. Where a method needs an operation's
generated signature (``responses.stream(...)``, ``chat.completions.stream(...)``), the
generator writes the method and calls the mixin's ``_open_stream(body, options)`` hook
(`codegen.naming.STREAM_HOOKS`). Each method delegates to the module that implements it,
imported on first call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._call_errors import check_call_options
from .._types import Omit
from ._polling import (
    BatchesExtras as BatchesExtras,
    UploadsExtras as UploadsExtras,
    VectorStoreFileBatchesExtras as VectorStoreFileBatchesExtras,
    VectorStoreFilesExtras as VectorStoreFilesExtras,
    VideosExtras as VideosExtras,
)

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from .._client import OpenAI
    from .._realtime import RealtimeConnection
    from .._responses_ws import ResponsesWebSocket
    from .._types import CallOptions
    from .._ws_reconnect import OnReconnecting
    from ..lib._chat_stream import (
        ChatCompletionStreamManager,
        ParsedChatCompletionStreamManager,
    )
    from ..lib._responses_parsed import ParsedResponseStreamManager
    from ..lib._responses_stream import ResponseStreamManager
    from ..lib._structured import ParsedChatCompletion, ParsedResponse
    from ..lib._tools import OnTurn
    from ..types import CreateChatCompletionResponse, Response

T = TypeVar("T")


__all__ = [
    "BatchesExtras",
    "ChatCompletionsExtras",
    "RealtimeExtras",
    "ResponsesExtras",
    "UploadsExtras",
    "VectorStoreFileBatchesExtras",
    "VectorStoreFilesExtras",
    "VideosExtras",
]


class ResponsesExtras:
    """``client.responses.connect()`` (WebSocket mode), ``.parse()``, ``.run_tools()``, and
    the stream helper behind ``.stream()``."""

    _client: OpenAI

    def _open_stream(
        self, body: dict[str, Any], options: CallOptions
    ) -> ResponseStreamManager | ParsedResponseStreamManager[Any]:
        """``responses.stream()``: typed events, text deltas, snapshots and the final
        response; an interrupted background response is resumed. With ``text_format``, the
        structured output parsed as it completes (`lib.open_parsed_response_stream`)."""
        from ..lib._responses_stream import ResponseStreamManager

        text_format = body.pop("text_format", None)
        if isinstance(text_format, type):
            from ..lib._responses_parsed import open_parsed_response_stream

            return open_parsed_response_stream(self._client, body, options, text_format)
        return ResponseStreamManager(self._client, body, options=options)

    async def _parse(
        self, text_format: type[T], body: dict[str, Any], options: CallOptions
    ) -> ParsedResponse[T]:
        """``responses.parse()`` (generated with create's parameters): structured output."""
        from ..lib._structured import parse_responses

        check_call_options(options)
        return await parse_responses(self._client, text_format=text_format, **body, **options)

    async def _run_tools(
        self,
        body: dict[str, Any],
        options: CallOptions,
        max_turns: int,
        max_concurrency: int,
        on_turn: OnTurn | None,
    ) -> Response:
        """``responses.run_tools()`` (generated with create's parameters): the tool loop."""
        from ..lib._tools import run_tools_responses

        check_call_options(options)
        return await run_tools_responses(
            self._client,
            max_turns=max_turns,
            max_concurrency=max_concurrency,
            on_turn=on_turn,
            **body,
            **options,
        )

    def connect(
        self,
        *,
        extra_query: Mapping[str, object] | None = None,
        extra_headers: Mapping[str, str | Omit] | None = None,
        buffer_size: int = 100,
        connect_timeout: float | None = None,
        close_timeout: float | None = None,
        on_reconnecting: OnReconnecting | None = None,
        max_retries: int = 5,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        max_queue_size: int = 1_048_576,
    ) -> AbstractAsyncContextManager[ResponsesWebSocket]:
        """Open a Responses WebSocket session: ``async with client.responses.connect() as ws``.

        See `trio_openai._responses_ws.open_responses_websocket` (timeouts left as None
        keep its defaults; ``on_reconnecting`` turns reconnection on).
        """
        from .._responses_ws import open_responses_websocket

        given: dict[str, Any] = {}
        if connect_timeout is not None:
            given["connect_timeout"] = connect_timeout
        if close_timeout is not None:
            given["close_timeout"] = close_timeout
        return open_responses_websocket(
            self._client,
            extra_query=extra_query,
            extra_headers=extra_headers,
            buffer_size=buffer_size,
            on_reconnecting=on_reconnecting,
            max_retries=max_retries,
            initial_delay=initial_delay,
            max_delay=max_delay,
            max_queue_size=max_queue_size,
            **given,
        )


class ChatCompletionsExtras:
    """``client.chat.completions.parse()``, ``.run_tools()``, and the stream helper behind
    ``.stream()``."""

    _client: OpenAI

    def _open_stream(
        self, body: dict[str, Any], options: CallOptions
    ) -> ChatCompletionStreamManager | ParsedChatCompletionStreamManager[Any]:
        """``chat.completions.stream()``: chunk events plus content deltas and the final
        completion (`trio_openai.lib.open_chat_stream`); with a type as ``response_format``,
        structured output parsed as it completes (`lib.open_parsed_chat_stream`)."""
        from ..lib._chat_stream import open_chat_stream, open_parsed_chat_stream

        response_format = body.get("response_format")
        if isinstance(response_format, type):  # a class: a dict format is sent as it is
            del body["response_format"]
            return open_parsed_chat_stream(self._client, response_format, **body, **options)
        return open_chat_stream(self._client, **body, **options)

    async def _parse(
        self, response_format: type[T], body: dict[str, Any], options: CallOptions
    ) -> ParsedChatCompletion[T]:
        """``chat.completions.parse()`` (generated with create's parameters)."""
        from ..lib._structured import parse_chat

        check_call_options(options)
        return await parse_chat(self._client, response_format=response_format, **body, **options)

    async def _run_tools(
        self,
        body: dict[str, Any],
        options: CallOptions,
        max_turns: int,
        max_concurrency: int,
        on_turn: OnTurn | None,
    ) -> CreateChatCompletionResponse:
        """``chat.completions.run_tools()`` (generated with create's parameters)."""
        from ..lib._tools import run_tools_chat

        check_call_options(options)
        return await run_tools_chat(
            self._client,
            max_turns=max_turns,
            max_concurrency=max_concurrency,
            on_turn=on_turn,
            **body,
            **options,
        )


class RealtimeExtras:
    """``client.realtime.connect()``: a Realtime session over WebSocket."""

    _client: OpenAI

    def connect(
        self,
        *,
        model: str | None = None,
        call_id: str | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_headers: Mapping[str, str | Omit] | None = None,
        buffer_size: int = 100,
        raise_errors: bool = True,
        connect_timeout: float | None = None,
        close_timeout: float | None = None,
        on_reconnecting: OnReconnecting | None = None,
        max_retries: int = 5,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        max_queue_size: int = 1_048_576,
    ) -> AbstractAsyncContextManager[RealtimeConnection]:
        """Open a Realtime session: ``async with client.realtime.connect(model=...) as conn``.

        See `trio_openai._realtime.Realtime.connect` (timeouts left as None keep its
        defaults; ``on_reconnecting`` turns reconnection on).
        """
        from .._realtime import Realtime

        given: dict[str, Any] = {}
        if connect_timeout is not None:
            given["connect_timeout"] = connect_timeout
        if close_timeout is not None:
            given["close_timeout"] = close_timeout
        return Realtime(self._client).connect(
            model=model,
            call_id=call_id,
            extra_query=extra_query,
            extra_headers=extra_headers,
            buffer_size=buffer_size,
            raise_errors=raise_errors,
            on_reconnecting=on_reconnecting,
            max_retries=max_retries,
            initial_delay=initial_delay,
            max_delay=max_delay,
            max_queue_size=max_queue_size,
            **given,
        )
