"""Background responses on the local server: resumable streams, a cancel route, cut/stall faults.

The real API lets a client reattach to a ``background: true`` response with
``GET /responses/{id}?stream=true&starting_after=N`` and stop it with
``POST /responses/{id}/cancel``. The tests of resume and server-side cancellation need the
same routes over real sockets, plus faults placed at a chosen event of a chosen connection;
`BackgroundResponses` (reached as ``server.background``) provides them. It keeps no trio
state of its own: each route is a `Reply`, so the connection code stays the only I/O.

It also offers `slow_replies`: a handler that answers a chosen fraction of requests late,
for hedging tests and benchmarks.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from typing import Any, Literal, TypeAlias, final

import orjson
import trio

from ._echo import echo_reply
from ._reply import RecordedRequest, Reply

__all__ = ["BackgroundResponses", "Fault", "slow_replies"]

Fault: TypeAlias = tuple[Literal["reset", "stall"], int]
"""("reset", N): abort the connection with a RST after N events; ("stall", N): go silent."""

_PREFIX = "/v1/responses/"


def _decode_events(reply: Reply) -> list[dict[str, Any]]:
    """The JSON events of an echo SSE reply (each wire event is `event: ...\\ndata: {...}`)."""
    events: list[dict[str, Any]] = []
    for wire in reply.events:
        _, _, data = wire.partition(b"data: ")
        events.append(orjson.loads(data))
    return events


@final
class BackgroundResponses:
    """The background responses one `LocalServer` holds.

    - ``POST /v1/responses`` with ``background: true`` and ``stream: true`` creates one
      (the echo model's events, numbered by ``sequence_number``, ``background: true``).
    - ``GET /v1/responses/{id}?stream=true&starting_after=N`` streams its events after N;
      without ``stream`` it returns the Response as JSON.
    - ``POST /v1/responses/{id}/cancel`` records the id in `cancels` (after `cancel_delay`
      seconds) and answers the Response with status ``cancelled``.

    `faults` applies to the next stream connections, one fault per connection, in order.
    """

    def __init__(self) -> None:
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.cancels: list[str] = []
        self.cancel_delay = 0.0
        self.pace = 0.0
        self.faults: deque[Fault] = deque()
        self.streams_opened = 0
        self._serial = 0

    def respond(self, request: RecordedRequest) -> Reply | None:
        """The reply to `request` when it is a background route, else None."""
        if request.method == "POST" and request.path == "/v1/responses":
            return self._create(request)
        if not request.path.startswith(_PREFIX):
            return None
        rest = request.path[len(_PREFIX) :]
        response_id, _, action = rest.partition("/")
        if response_id not in self.events:
            return None
        if request.method == "POST" and action == "cancel":
            return Reply.handler(self._cancel)
        if request.method == "GET" and not action:
            return self._retrieve(request, response_id)
        return None

    def _create(self, request: RecordedRequest) -> Reply | None:
        try:
            body = request.json()
        except orjson.JSONDecodeError:
            return None
        if not isinstance(body, dict) or body.get("background") is not True:  # pyright: ignore[reportUnknownMemberType]
            return None
        if body.get("stream") is not True:  # pyright: ignore[reportUnknownMemberType]
            return None
        self._serial += 1
        response_id = f"resp_bg_{self._serial}"
        events = _decode_events(echo_reply(request, serial=self._serial, pace=0.0))
        for event in events:
            response = event.get("response")
            if isinstance(response, dict):
                response["id"] = response_id
                response["background"] = True
        self.events[response_id] = events
        return self._stream(events)

    def _stream(self, events: list[dict[str, Any]]) -> Reply:
        self.streams_opened += 1
        fault = self.faults.popleft() if self.faults else None
        return Reply.sse(
            events,
            done=False,
            pace=self.pace,
            event_names=True,
            reset_after=fault[1] if fault is not None and fault[0] == "reset" else None,
            stall_after=fault[1] if fault is not None and fault[0] == "stall" else None,
        )

    def _retrieve(self, request: RecordedRequest, response_id: str) -> Reply:
        events = self.events[response_id]
        if request.query.get("stream", ["false"])[0] != "true":
            return Reply.json(events[-1]["response"])
        after = int(request.query.get("starting_after", ["-1"])[0])
        return self._stream([e for e in events if e["sequence_number"] > after])

    async def _cancel(self, request: RecordedRequest) -> Reply:
        response_id = request.path[len(_PREFIX) :].partition("/")[0]
        if self.cancel_delay:
            await trio.sleep(self.cancel_delay)
        self.cancels.append(response_id)
        final = dict(self.events[response_id][-1]["response"])
        final["status"] = "cancelled"
        return Reply.json(final)


def slow_replies(
    fast: Callable[[RecordedRequest], Reply],
    *,
    fraction: float,
    delay: float,
    seed: int = 0,
) -> Reply:
    """A handler answering `fast(request)`, `delay` seconds late for `fraction` of requests.

    The choice is drawn from a private seeded generator, so a run is repeatable.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("slow_replies(fraction=...) must be between 0 and 1")
    draw = random.Random(seed).random

    async def handle(request: RecordedRequest) -> Reply:
        if draw() < fraction:
            await trio.sleep(delay)
        return fast(request)

    return Reply.handler(handle)
