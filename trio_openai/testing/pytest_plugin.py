"""pytest plugin of trio_openai (entry point `pytest11`): the `local_server` fixture.

The fixture is an async generator, so it needs pytest-trio (a trio test, or trio_mode).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from trio_openai.testing import LocalServer, open_local_server

__all__ = ["local_server"]


@pytest.fixture
async def local_server() -> AsyncIterator[LocalServer]:
    """A started `LocalServer` on 127.0.0.1, closed with all its connections after the test."""
    async with open_local_server() as server:
        yield server
