"""The hand-over of decoded events from a WebSocket session's reader task to its consumer.

A bounded memory channel costs a task switch per event: the consumer wakes up for each
``send``. Here the reader decodes every message of one socket read, puts as many as fit
at once (`put_many`: one wake-up of the consumer per batch), and the consumer takes
events that have already arrived with no checkpoint (`get` only waits when the queue is
empty), as `Stream._next_ready` does for HTTP streams. In the Realtime benchmark that is
two scheduler passes per ~100 events instead of two per event (docs/performance.md).

Backpressure stays: the queue holds at most ``capacity`` events (at least 1); a reader
with more waits (`wait_room`) until the consumer has taken half of them, so a slow
consumer still slows the socket down (the reader does not read while it waits). Ending:
`end` (the reader is done) lets the consumer drain what is queued, then ``get`` raises
`trio.EndOfChannel`; `close_consumer` (the consumer left) makes `put` drop events and
``get`` raise `trio.ClosedResourceError`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import final

import trio

__all__ = ["EventQueue"]


@final
class EventQueue:
    """A bounded queue of events between one producer and one consumer task."""

    __slots__ = (
        "_consumer_gone",
        "_ended",
        "_items",
        "_low",
        "_readers",
        "_writers",
        "capacity",
    )

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._low = self.capacity // 2  # the waiting producer resumes at this many
        self._items: deque[object] = deque()
        self._ended = False
        self._consumer_gone = False
        # Tasks waiting for events (the consumer) and for room (the producer); several
        # consumers may wait at once.
        self._readers = trio.lowlevel.ParkingLot()
        self._writers = trio.lowlevel.ParkingLot()

    @property
    def buffered(self) -> int:
        """Events queued and not taken yet."""
        return len(self._items)

    @property
    def consumer_gone(self) -> bool:
        return self._consumer_gone

    # -- the producer -----------------------------------------------------------------

    def room(self) -> int:
        """How many events `put_many` may add now (0: call `wait_room` first)."""
        if self._consumer_gone:
            return self.capacity
        return self.capacity - len(self._items)

    async def wait_room(self) -> None:
        """Wait until the consumer has taken half of the queue (or left)."""
        while len(self._items) > self._low and not self._consumer_gone:
            await self._writers.park()

    def put_many(self, items: Iterable[object]) -> None:
        """Queue `items` (at most `room` of them) and wake the consumer once."""
        if self._consumer_gone:
            return
        self._items.extend(items)
        if self._readers:
            self._readers.unpark_all()

    async def put(self, item: object) -> bool:
        """Queue one event, waiting for room; False if the consumer has left."""
        if not self.room():
            await self.wait_room()
        self.put_many((item,))
        return not self._consumer_gone

    def end(self) -> None:
        """No more events: the consumer drains the queue, then gets `trio.EndOfChannel`."""
        self._ended = True
        self._readers.unpark_all()

    # -- the consumer -----------------------------------------------------------------

    async def get(self) -> object:
        """The next event: at once when one is queued (no checkpoint), else wait for it."""
        items = self._items
        if items:
            item = items.popleft()
            if self._writers and len(items) <= self._low:
                self._writers.unpark_all()
            return item
        return await self._wait_and_get()

    async def _wait_and_get(self) -> object:
        while not self._items:
            if self._consumer_gone:
                raise trio.ClosedResourceError("the consumer closed this queue")
            if self._ended:
                await trio.lowlevel.checkpoint()
                raise trio.EndOfChannel
            await self._readers.park()
        return await self.get()

    def close_consumer(self) -> None:
        """The consumer left: drop what is queued and what comes; wake a waiting producer."""
        self._consumer_gone = True
        self._items.clear()
        self._writers.unpark_all()
        self._readers.unpark_all()
