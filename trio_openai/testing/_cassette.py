"""`Cassette` and `open_cassette`: record real exchanges once, replay them offline in trio time.

A cassette is a client middleware (docs/middleware.md): it sees every attempt the client
sends, after auth and before the transport. Replaying, it answers from the file and never
calls the transport; recording, it passes the request on and captures the response as the
code under test reads it. One mechanism for both, so a test reads the same in every mode.

Concurrent requests match regardless of arrival order: a request claims the first unused
recorded exchange that matches it, and the claim happens before any checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final, Literal, TypeAlias, final

import httpx
import trio

from .._client import OpenAI
from .._types import DEFAULT_TIMEOUT, CallNext, Middleware, Timeout
from ._cassette_format import Exchange, RequestRecord, dumps_cassette, loads_cassette
from ._cassette_match import Matcher, Redactor, closest, describe, differences
from ._record import RecordingStream, request_record
from ._replay import replay_response

__all__ = ["MODE_ENV", "Cassette", "CassetteMismatchError", "RecordMode", "open_cassette"]

RecordMode: TypeAlias = Literal["none", "new_episodes", "all"]
MODE_ENV: Final = "TRIO_OPENAI_CASSETTE_MODE"
_MODES: Final = ("none", "new_episodes", "all")
_REPLAY_KEY: Final = "sk-cassette-replay"


class CassetteMismatchError(AssertionError):
    """A request the cassette has no recording for (replay mode `none`).

    The message names the request, the closest recorded one and each difference. It is an
    AssertionError: the test is wrong or the cassette is stale, not the network.
    """


def resolve_mode(mode: str | None) -> RecordMode:
    """`mode`, else the TRIO_OPENAI_CASSETTE_MODE environment variable, else "none"."""
    chosen = mode or os.environ.get(MODE_ENV) or "none"
    if chosen == "none":
        return "none"
    if chosen == "new_episodes":
        return "new_episodes"
    if chosen == "all":
        return "all"
    raise ValueError(f"cassette record mode must be one of {', '.join(_MODES)}, not {chosen!r}")


@final
class Cassette:
    """Recorded exchanges of one file, and the middleware that replays or records them.

    Modes: "none" replays only (an unrecorded request raises `CassetteMismatchError`);
    "new_episodes" replays what matches and records the rest; "all" records everything
    again. Get one from `open_cassette` (or the `cassette` pytest fixture), which saves it.
    """

    path: Path
    mode: RecordMode
    matcher: Matcher
    redactor: Redactor
    exchanges: list[Exchange]
    recorded: list[Exchange]
    mismatches: list[str]

    def __init__(
        self,
        path: Path,
        *,
        mode: RecordMode,
        matcher: Matcher,
        redactor: Redactor,
        allow_repeats: bool = False,
    ) -> None:
        self.path = path
        self.mode = mode
        self.matcher = matcher
        self.redactor = redactor
        self.allow_repeats = allow_repeats
        self.exchanges = []
        if mode != "all" and path.exists():
            self.exchanges = loads_cassette(path.read_bytes(), source=str(path))
        elif mode == "none":
            raise FileNotFoundError(
                f"cassette {path} does not exist: record it by running the test with "
                f"--cassette-mode=new_episodes (or {MODE_ENV}=new_episodes)"
            )
        self._used = [False] * len(self.exchanges)
        self.recorded = []
        self.mismatches = []

    def __repr__(self) -> str:
        return f"<Cassette {self.path} mode={self.mode} exchanges={len(self.exchanges)}>"

    @property
    def replaying(self) -> bool:
        """True when no request can reach a server (mode "none")."""
        return self.mode == "none"

    @property
    def unused(self) -> list[Exchange]:
        """Recorded exchanges no request has matched yet."""
        return [ex for ex, used in zip(self.exchanges, self._used, strict=True) if not used]

    async def __call__(self, request: httpx.Request, call_next: CallNext) -> httpx.Response:
        sent = await request_record(request, self.redactor)
        if self.mode != "all":
            index = self._claim(sent)
            if index is not None:
                exchange = self.exchanges[index]
                await trio.sleep(exchange.response.after)
                return replay_response(exchange, request)
            if self.mode == "none":
                message = self._mismatch_message(sent)
                self.mismatches.append(message)
                raise CassetteMismatchError(message)
        if "accept-encoding" in request.headers:
            # Encodings the recorder can store decoded (readable); br/zstd would be base64.
            request.headers["accept-encoding"] = "gzip, deflate"
        sent_at = trio.current_time()
        response = await call_next(request)
        response.stream = RecordingStream(
            response, sent, sent_at=sent_at, redactor=self.redactor, on_done=self.recorded.append
        )
        return response

    def middleware(self) -> Middleware:
        """This cassette as a value for `OpenAI(middleware=[...])`."""
        return self

    def client(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        max_retries: int = 2,
        timeout: float | Timeout | None = DEFAULT_TIMEOUT,
        middleware: Sequence[Middleware] = (),
    ) -> OpenAI:
        """An `OpenAI` client through this cassette (first in its middleware).

        Replaying, a missing `api_key` is a placeholder (no server sees it); recording,
        the arguments and the environment (OPENAI_API_KEY, OPENAI_BASE_URL) pick the server.
        """
        if api_key is None and self.replaying and not os.environ.get("OPENAI_API_KEY"):
            api_key = _REPLAY_KEY
        return OpenAI(
            base_url=base_url,
            api_key=api_key,
            max_retries=max_retries,
            timeout=timeout,
            middleware=(self, *middleware),
        )

    def _claim(self, sent: RequestRecord) -> int | None:
        repeat: int | None = None
        for index, exchange in enumerate(self.exchanges):
            if differences(exchange.request, sent, self.matcher):
                continue
            if not self._used[index]:
                self._used[index] = True
                return index
            repeat = index
        return repeat if self.allow_repeats else None

    def _mismatch_message(self, sent: RequestRecord) -> str:
        lines = [f"No recorded exchange in {self.path} matches {describe(sent)}."]
        candidates = [(i, ex.request) for i, ex in enumerate(self.exchanges)]
        near = closest(candidates, sent, self.matcher)
        if near is None:
            lines.append("The cassette holds no exchanges.")
        else:
            index, diff = near
            lines.append(
                f"Closest recorded request: #{index} {describe(self.exchanges[index].request)}"
            )
            if not diff:
                lines.append("  it matches, but was already replayed (pass allow_repeats=True)")
            lines += [f"  {line}" for line in diff]
        lines.append(
            f"Record it with --cassette-mode=new_episodes (or {MODE_ENV}=new_episodes), "
            "or leave a field out of matching with ignore_fields=[...]."
        )
        return "\n".join(lines)

    def save(self) -> None:
        """Write the file when something was recorded (mode "all" replaces its content)."""
        if not self.recorded:
            return
        exchanges = self.recorded if self.mode == "all" else [*self.exchanges, *self.recorded]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(dumps_cassette(exchanges))


@asynccontextmanager
async def open_cassette(
    path: str | os.PathLike[str],
    *,
    mode: RecordMode | None = None,
    redact_headers: Iterable[str] = (),
    redact_fields: Iterable[str] = (),
    ignore_fields: Iterable[str] = (),
    ignore_query: Iterable[str] = (),
    match_body: bool = True,
    allow_repeats: bool = False,
) -> AsyncGenerator[Cassette, None]:
    """Open the cassette at `path` for the block; save what was recorded when it exits.

    `mode` defaults to the TRIO_OPENAI_CASSETTE_MODE environment variable, else "none"
    (replay only). `redact_headers` adds header names to the credentials always redacted
    (e.g. "openai-organization", "openai-project"); `redact_fields` names JSON fields
    replaced by "REDACTED" everywhere they appear. `ignore_fields`/`ignore_query` leave
    body fields and query parameters out of matching. If a request failed to match and the
    block swallowed the error, exiting raises `CassetteMismatchError`.
    """
    cassette = Cassette(
        Path(path),
        mode=resolve_mode(mode),
        matcher=Matcher(
            body=match_body,
            ignore_fields=tuple(ignore_fields),
            ignore_query=frozenset(ignore_query),
        ),
        redactor=Redactor(
            headers=frozenset(name.lower() for name in redact_headers),
            fields=tuple(redact_fields),
        ),
        allow_repeats=allow_repeats,
    )
    yield cassette
    cassette.save()
    if cassette.mismatches:
        raise CassetteMismatchError(cassette.mismatches[0])
