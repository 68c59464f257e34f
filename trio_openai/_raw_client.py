"""``client.with_raw_response`` and ``client.with_streaming_response``: the whole client,
each call returning an `APIResponse` (or, streamed, an `AsyncAPIResponse` in ``async
with``). The API areas come from the generated `AreasWithRawResponse` /
`AreasWithStreamingResponse`; the any-path calls (``get``, ``post``...) are added here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from ._response import to_raw_response_wrapper, to_streamed_response_wrapper
from .resources import AreasWithRawResponse, AreasWithStreamingResponse

if TYPE_CHECKING:
    from ._client import OpenAI

__all__ = ["ClientWithRawResponse", "ClientWithStreamingResponse"]


@final
class ClientWithRawResponse(AreasWithRawResponse):
    """``client.with_raw_response``: ``await raw.files.retrieve(id)``, ``await raw.post(...)``."""

    def __init__(self, client: OpenAI) -> None:
        super().__init__(client)
        self.request = to_raw_response_wrapper(client.request)
        self.get = to_raw_response_wrapper(client.get)
        self.post = to_raw_response_wrapper(client.post)
        self.put = to_raw_response_wrapper(client.put)
        self.patch = to_raw_response_wrapper(client.patch)
        self.delete = to_raw_response_wrapper(client.delete)


@final
class ClientWithStreamingResponse(AreasWithStreamingResponse):
    """``client.with_streaming_response``: ``async with raw.files.content(id) as response``."""

    def __init__(self, client: OpenAI) -> None:
        super().__init__(client)
        self.request = to_streamed_response_wrapper(client.request)
        self.get = to_streamed_response_wrapper(client.get)
        self.post = to_streamed_response_wrapper(client.post)
        self.put = to_streamed_response_wrapper(client.put)
        self.patch = to_streamed_response_wrapper(client.patch)
        self.delete = to_streamed_response_wrapper(client.delete)
