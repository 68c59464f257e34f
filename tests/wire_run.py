"""Running one `Call` on both clients against a recording server, and what came of it.

openai-python's sync client runs in a worker thread (`trio.to_thread.run_sync`),
trio_openai's client in the Trio test; both use the same key, admin key, base URL, no
retries. `Differ.assert_same` fails with one line per difference (`wire_compare`).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import openai
import trio
from wire_cases import Call, FileArg, OmitArg, resolve, spec_document
from wire_compare import differences
from wire_recorder import Recorded, RecordingServer, SpecReplies, open_recording_server

import trio_openai

__all__ = ["Differ", "Outcome", "open_differ", "run_openai", "run_trio"]


def materialize(value: Any, folder: Path, opened: list[Any], omit: Any) -> Any:
    if isinstance(value, FileArg):
        return value.make(folder, opened)
    if isinstance(value, OmitArg):
        return omit
    if isinstance(value, dict):
        return {k: materialize(v, folder, opened, omit) for k, v in value.items()}
    if isinstance(value, list):
        return [materialize(v, folder, opened, omit) for v in value]
    if isinstance(value, tuple) and not (value and isinstance(value[0], str)):
        return tuple(materialize(v, folder, opened, omit) for v in value)
    return value


def run_openai(client: openai.OpenAI, call: Call, folder: Path) -> None:
    """Make `call` on openai-python's sync client (run it in a worker thread)."""
    opened: list[Any] = []
    try:
        if call.options:
            client = client.with_options(**materialize(dict(call.options), folder, opened, openai.Omit()))
        args = materialize(list(call.args), folder, opened, openai.Omit())
        kwargs = materialize(dict(call.kwargs), folder, opened, openai.Omit())
        result = resolve(client, call.openai_path)(*args, **kwargs)
        if isinstance(result, openai.Stream):
            with result:
                for _ in result:
                    pass
    finally:
        for handle in opened:
            handle.close()


async def run_trio(client: Any, call: Call, folder: Path) -> None:
    """Make `call` on trio_openai's client."""
    opened: list[Any] = []
    try:
        if call.options:
            client = client.with_options(**materialize(dict(call.options), folder, opened, trio_openai.omit))
        args = materialize(list(call.args), folder, opened, trio_openai.omit)
        kwargs = materialize(dict(call.kwargs), folder, opened, trio_openai.omit)
        result = resolve(client, call.path)(*args, **kwargs)
        if hasattr(result, "first_page"):
            await result.first_page()
        elif inspect.isawaitable(result):
            result = await result
            if isinstance(result, trio_openai.Stream):  # `create(..., stream=True)`: sent
                async with result as stream:  # when its block opens, as the docs say
                    async for _ in stream:
                        pass
        elif hasattr(result, "__aenter__"):
            async with result:
                pass
    finally:
        for handle in opened:
            handle.close()


# --- running a call on both clients ------------------------------------------------------

API_KEY = "sk-diff-test"
ADMIN_KEY = "sk-admin-diff-test"


@attrs.define
class Outcome:
    """The requests each client sent for one call, and what each raised."""

    theirs: list[Recorded]
    ours: list[Recorded]
    their_error: BaseException | None
    our_error: BaseException | None

    def problems(self) -> list[str]:
        """Why the two calls are not the same request (empty when they are)."""
        if not self.theirs:
            # openai-python refused the call (a spec example with a wrong argument name):
            # trio_openai must refuse it too rather than send something.
            if self.ours or self.our_error is None:
                return [f"openai-python refused the call ({self.their_error!r}); trio_openai sent it"]
            return []
        if len(self.theirs) != len(self.ours):
            return [
                f"openai-python sent {len(self.theirs)} request(s), trio_openai "
                f"{len(self.ours)}; trio_openai raised {self.our_error!r}"
            ]
        lines = [line for a, b in zip(self.theirs, self.ours, strict=True) for line in differences(a, b)]
        if self.their_error is None and self.our_error is not None:
            lines.append(f"openai-python decoded the answer, trio_openai raised {self.our_error!r}")
        return lines


_THEIRS = openai.OpenAI(
    api_key=API_KEY,
    admin_api_key=ADMIN_KEY,
    base_url="http://127.0.0.1:9/v1",
    max_retries=0,
    timeout=30.0,
)


class Differ:
    """Both clients, pointed at one recording server with the same key and options."""

    def __init__(self, server: RecordingServer, folder: Path) -> None:
        self.server = server
        self.folder = folder
        common: dict[str, Any] = {"base_url": server.base_url, "max_retries": 0, "timeout": 30.0}
        # One openai-python client for the session, re-pointed per server: building one
        # costs an SSL context (~40 ms), most of a case's time.
        self.theirs = _THEIRS.with_options(base_url=server.base_url)
        self.ours = trio_openai.OpenAI(api_key=API_KEY, admin_key=ADMIN_KEY, **common)

    async def run(self, call: Call) -> Outcome:
        their_error = our_error = None
        self.server.take()
        try:
            await trio.to_thread.run_sync(run_openai, self.theirs, call, self.folder)
        except Exception as exc:
            their_error = exc
        theirs = self.server.take()
        try:
            await run_trio(self.ours, call, self.folder)
        except Exception as exc:
            our_error = exc
        return Outcome(theirs, self.server.take(), their_error, our_error)

    async def assert_same(self, call: Call) -> Outcome:
        outcome = await self.run(call)
        problems = outcome.problems()
        assert not problems, "\n".join(problems)
        return outcome

    async def aclose(self) -> None:
        await self.ours.aclose()


@asynccontextmanager
async def open_differ(folder: Path) -> AsyncIterator[Differ]:
    async with open_recording_server(SpecReplies(spec_document())) as server:
        differ = Differ(server, folder)
        try:
            yield differ
        finally:
            await differ.aclose()
