"""What the polling and upload helpers of the resources share: call options for follow-up
requests, progress callbacks, and a bounded runner of concurrent jobs.

Below both `_polling` and `_uploads`, so that neither takes a private name from the other.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import cast

import trio

from .._types import CallOptions

__all__ = ["Job", "no_body", "notify", "run_bounded"]

Job = Callable[[], Awaitable[None]]


def no_body(options: CallOptions) -> CallOptions:
    """`options` for requests other than the creating one: without ``extra_body``."""
    if "extra_body" not in options:
        return options
    rest = dict(options)
    del rest["extra_body"]
    return cast("CallOptions", rest)


async def notify(callback: Callable[..., object] | None, *args: object) -> None:
    if callback is not None:
        result = callback(*args)
        if inspect.isawaitable(result):
            await result


async def run_bounded(next_job: Callable[[], Awaitable[Job | None]], limit: int) -> None:
    """Run the jobs `next_job` hands out (None: no more), at most `limit` at a time.

    A slot is taken before `next_job` is called, so what it prepares (a part read into
    memory) waits for a free slot too. The first `Exception`, from a job or from
    `next_job`, cancels everything else and is raised alone once all has stopped.
    """
    slots = trio.Semaphore(limit)
    failure: Exception | None = None

    def fail(exc: Exception) -> None:
        nonlocal failure
        if failure is None:
            failure = exc
        nursery.cancel_scope.cancel()

    async def run(job: Job) -> None:
        try:
            await job()
        except Exception as exc:  # becomes the one error of the whole call
            fail(exc)
        finally:
            slots.release()

    async with trio.open_nursery() as nursery:
        while True:
            await slots.acquire()
            try:
                job = await next_job()
            except Exception as exc:
                fail(exc)
                break
            if job is None:
                break
            nursery.start_soon(run, job)
    if failure is not None:
        raise failure
