"""Hand-written methods of generated resources: what is not an HTTP operation of the spec.

The generator makes a resource class derive from the mixin `naming.MIXINS` names for it
(``class Responses(ResponsesExtras, Resource)``), so these methods sit next to the
generated ones without editing generated code. Each delegates to the module that
implements it, imported on first call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._types import Omit

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from .._client import OpenAI
    from .._responses_ws import ResponsesWebSocket

__all__ = ["ResponsesExtras"]


class ResponsesExtras:
    """``client.responses.connect()``: the Responses API over one WebSocket."""

    _client: OpenAI

    def connect(
        self,
        *,
        extra_query: Mapping[str, object] | None = None,
        extra_headers: Mapping[str, str | Omit] | None = None,
        buffer_size: int = 100,
        connect_timeout: float | None = None,
        close_timeout: float | None = None,
    ) -> AbstractAsyncContextManager[ResponsesWebSocket]:
        """Open a Responses WebSocket session: ``async with client.responses.connect() as ws``.

        See `trio_openai._responses_ws.open_responses_websocket` (timeouts left as None
        keep its defaults).
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
            **given,
        )
