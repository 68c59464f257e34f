"""pytest plugin of trio_openai (entry point `pytest11`): `local_server` and `cassette` fixtures.

Both fixtures are async generators, so they need pytest-trio (a trio test, or `trio_mode =
true` in the pytest configuration).

The `cassette` fixture opens `<test dir>/cassettes/<test module>/<name>.json`, where `name` is
the first argument of `@pytest.mark.cassette(...)` or else the test's name; the marker's
keyword arguments are those of `open_cassette`. The record mode comes from `--cassette-mode`,
else the TRIO_OPENAI_CASSETTE_MODE environment variable, else "none" (replay only).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from trio_openai.testing import Cassette, LocalServer, open_cassette, open_local_server

from ._cassette import MODE_ENV, resolve_mode

__all__ = ["cassette", "local_server"]

_OPTIONS = frozenset(
    {
        "redact_headers",
        "redact_fields",
        "ignore_fields",
        "ignore_query",
        "match_body",
        "allow_repeats",
    }
)


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


@pytest.fixture
async def cassette(request: pytest.FixtureRequest) -> AsyncIterator[Cassette]:
    """The test's cassette, saved after the test when something was recorded.

    Use `cassette.client(...)` for a client through it, or put `cassette` first in your own
    client's `middleware`.
    """
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
    path = test_file.parent / "cassettes" / test_file.stem / f"{name}.json"
    mode = resolve_mode(request.config.getoption("--cassette-mode"))
    async with open_cassette(path, mode=mode, **options) as opened:
        yield opened
