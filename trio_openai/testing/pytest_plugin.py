"""pytest plugin of trio_openai (entry point `pytest11`): `local_server`, `cassette` and
`ws_cassette` fixtures.

The fixtures are async generators, so they need pytest-trio (a trio test, or `trio_mode =
true` in the pytest configuration).

The `cassette` fixture opens `<test dir>/cassettes/<test module>/<name>.json`, where `name` is
the first argument of `@pytest.mark.cassette(...)` or else the test's name; the marker's
keyword arguments are those of `open_cassette`. The record mode comes from `--cassette-mode`,
else the TRIO_OPENAI_CASSETTE_MODE environment variable, else "none" (replay only).
`ws_cassette` is the same for WebSocket sessions, in `<name>.ws.json`; the marker's
`upstream=` (else OPENAI_BASE_URL, else the OpenAI API) is where it records from.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import pytest

from trio_openai.testing import (
    Cassette,
    LocalServer,
    WsCassetteServer,
    open_cassette,
    open_local_server,
    open_ws_cassette,
)

from ._cassette import MODE_ENV, resolve_mode

__all__ = ["cassette", "local_server", "ws_cassette"]

_OPTIONS = frozenset(
    {
        "redact_headers",
        "redact_fields",
        "ignore_fields",
        "ignore_query",
        "match_body",
        "allow_repeats",
        "upstream",  # ws_cassette only
    }
)
_OPENAI_API: Final = "https://api.openai.com/v1"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trio_openai")
    group.addoption(
        "--cassette-mode",
        choices=("none", "new_episodes", "all"),
        default=None,
        help=(
            "trio_openai cassettes: none = replay only (default), new_episodes = record "
            f"requests the cassette lacks, all = record everything again (env: {MODE_ENV})"
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cassette(name=None, **options): the trio_openai cassette the `cassette` fixture "
        "opens (options: those of trio_openai.testing.open_cassette)",
    )


@pytest.fixture
async def local_server() -> AsyncIterator[LocalServer]:
    """A started `LocalServer` on 127.0.0.1, closed with all its connections after the test."""
    async with open_local_server() as server:
        yield server


def _default_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")


def _marker_options(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    """The cassette path (without suffix) and the options of the test's cassette marker."""
    marker = request.node.get_closest_marker("cassette")
    args: tuple[Any, ...] = marker.args if marker is not None else ()
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    unknown = set(options) - _OPTIONS
    if unknown:
        raise TypeError(
            f"@pytest.mark.cassette got unknown option(s) {sorted(unknown)}; "
            f"it takes a name and {sorted(_OPTIONS)}"
        )
    name = str(args[0]) if args else _default_name(request)
    test_file = Path(str(request.node.path))
    return test_file.parent / "cassettes" / test_file.stem / name, options


@pytest.fixture
async def cassette(request: pytest.FixtureRequest) -> AsyncIterator[Cassette]:
    """The test's cassette, saved after the test when something was recorded.

    Use `cassette.client(...)` for a client through it, or put `cassette` first in your own
    client's `middleware`.
    """
    stem, options = _marker_options(request)
    options.pop("upstream", None)
    mode = resolve_mode(request.config.getoption("--cassette-mode"))
    async with open_cassette(stem.with_name(stem.name + ".json"), mode=mode, **options) as opened:
        yield opened


@pytest.fixture
async def ws_cassette(request: pytest.FixtureRequest) -> AsyncIterator[WsCassetteServer]:
    """The test's WebSocket cassette server; point a client's `base_url` at its `base_url`.

    Its `upstream` (where sessions are recorded from) may be changed before connecting.
    """
    stem, options = _marker_options(request)
    upstream = options.pop("upstream", None) or os.environ.get("OPENAI_BASE_URL") or _OPENAI_API
    mode = resolve_mode(request.config.getoption("--cassette-mode"))
    async with open_ws_cassette(
        stem.with_name(stem.name + ".ws.json"),
        upstream=str(upstream),
        mode=mode,
        redact_headers=options.get("redact_headers", ()),
        redact_fields=options.get("redact_fields", ()),
    ) as server:
        yield server
