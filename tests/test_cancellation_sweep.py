"""Cancel a request, a stream and a paginated list at each of their schedule points in turn.

A trio Instrument counts the steps of the task running the operation and cancels the
operation's scope when the count reaches N; the sweep runs N = 0 (cancelled before it
starts), 1, 2, ... until the operation completes before step N comes. Over real sockets
to the local server, so N walks through connecting, sending, waiting for headers, reading
the body, retry sleeps and closing. After every run:

- nothing but the scope's own `trio.Cancelled` came out (no ExceptionGroup, no typed error:
  cancellation is never converted), and the scope caught it, or the operation finished;
- the client's pool has no busy connection and no queued request;
- the next call on the same client works.
"""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import httpx
import pytest
import trio
import trustme
from http2_front import open_h2_front
from http2_servers import make_certificates
from proxy_server import open_proxy, open_tls_front

import trio_openai
from trio_openai._transport import make_http_client
from trio_openai.testing import LocalServer, RecordedRequest, Reply, open_local_server

KEY: Final = "sk-test-sweep"
MAX_STEPS: Final = 5000  # a runaway guard: each operation completes in a few hundred steps
EVENTS: Final = [{"type": "delta", "n": n} for n in range(10)]
PAGES: Final = {
    None: {"data": [{"id": "a"}, {"id": "b"}], "has_more": True},
    "b": {"data": [{"id": "c"}, {"id": "d"}], "has_more": True},
    "d": {"data": [{"id": "e"}], "has_more": False},
}
SWEEP_COUNTS: dict[str, dict[str, int]] = {}


class CancelAtStep(trio.abc.Instrument):
    """Cancels `scope` when `task` is about to run its `n`-th step (counted from 1)."""

    def __init__(self, task: trio.lowlevel.Task, n: int, scope: trio.CancelScope) -> None:
        self.task = task
        self.n = n
        self.scope = scope
        self.steps = 0
        self.fired = False

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        if task is self.task:
            self.steps += 1
            if self.steps == self.n:
                self.fired = True
                self.scope.cancel()


def page_for(request: RecordedRequest) -> Reply:
    after = request.query.get("after", [None])[0]
    return Reply.json({"object": "list", **PAGES[after]})


def flaky_request(request: RecordedRequest) -> Reply:
    # Every call fails once with a 503 and a tiny retry hint: the sweep crosses a retry sleep.
    if request.headers.get("x-stainless-retry-count") == "0":
        return Reply.error(503, headers={"retry-after-ms": "1"})
    return Reply.json({"ok": True})


def script(server: LocalServer) -> None:
    server.script("POST", "/v1/r", Reply.handler(flaky_request))
    server.script("POST", "/v1/s", Reply.sse(EVENTS, pace=0.002))  # one read per event
    server.script("GET", "/v1/items", Reply.handler(page_for))
    server.script("POST", "/v1/u", Reply.json({"id": "file-1"}))


async def do_request(client: trio_openai.OpenAI) -> None:
    assert await client.post("/r", body={"q": 1}) == {"ok": True}


async def do_stream(client: trio_openai.OpenAI) -> None:
    async with client.stream("POST", "/s", body={"stream": True}) as stream:
        assert [event async for event in stream] == EVENTS


async def do_upload(client: trio_openai.OpenAI) -> None:
    files = {"file": ("a.jsonl", b'{"a": 1}\n' * 2000), "purpose": "batch"}
    assert await client.post("/u", files=files) == {"id": "file-1"}


async def do_list(client: trio_openai.OpenAI) -> None:
    items = [item["id"] async for item in client._paginate("/items")]
    assert items == ["a", "b", "c", "d", "e"]


OPERATIONS: Final[dict[str, Callable[[trio_openai.OpenAI], Awaitable[None]]]] = {
    "request": do_request,
    "stream": do_stream,
    "list": do_list,
    "upload": do_upload,
}


async def run_cancelled_at(operation: Callable[[], Awaitable[None]], n: int) -> tuple[bool, bool]:
    """Run `operation` with its scope cancelled at step `n`: (cancel requested, completed)."""
    task = trio.lowlevel.current_task()
    completed = False
    with trio.CancelScope() as scope:
        instrument = CancelAtStep(task, n, scope)
        if n == 0:
            instrument.fired = True
            scope.cancel()
        trio.lowlevel.add_instrument(instrument)
        try:
            await operation()
            completed = True
        except BaseExceptionGroup as group:  # pragma: no cover - the failure being tested
            raise AssertionError(f"an ExceptionGroup escaped at step {n}: {group!r}") from group
        except trio_openai.OpenAIError as exc:
            raise AssertionError(f"cancellation at step {n} became {exc!r}") from exc
        finally:
            trio.lowlevel.remove_instrument(instrument)
    if instrument.fired:
        # Requested: the scope caught its own Cancelled, unless the operation had already
        # passed its last checkpoint when the request came.
        assert scope.cancelled_caught or completed, n
    else:
        assert completed and not scope.cancelled_caught, n
    return instrument.fired, completed


@asynccontextmanager
async def pool_and_url(
    transport: str, keepalive: int, server: LocalServer
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    if transport == "http2":
        # HTTP/2 (hypercorn forwarding to the local server): connections persist, so the
        # sweep crosses opening one only at the first run.
        with tempfile.TemporaryDirectory() as directory:
            certificates = make_certificates(Path(directory))
            async with (
                open_h2_front(certificates, server.base_url.removesuffix("/v1")) as url,
                trio_openai.DefaultHttpClient(http2=True, verify=certificates.ca_file) as http,
            ):
                yield http, url + "/v1"
        return
    if transport != "tunnel":
        async with make_http_client(
            max_keepalive=keepalive, transport="httpx" if transport == "httpx" else "trio"
        ) as http:
            yield http, server.base_url
        return
    # through a proxy's CONNECT tunnel to TLS in front of the server: the sweep crosses
    # the CONNECT exchange and both handshakes too
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    async with (
        open_proxy() as proxy,
        open_tls_front(server_tls, server.port) as front,
        trio_openai.DefaultHttpClient(
            proxy=proxy.url, verify=client_tls, max_keepalive_connections=keepalive
        ) as http,
    ):
        yield http, front.base_url


@pytest.mark.parametrize("transport", ["trio", "httpx", "tunnel", "http2"])
@pytest.mark.parametrize("pool", ["pooled", "new connection"])
@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_cancel_at_every_step(name: str, pool: str, transport: str) -> None:
    """`pooled` reuses kept-alive connections; `new connection` keeps none, so every run
    connects anew and the sweep crosses opening a connection too. Both transports of
    `make_http_client`: the package's own (the default) and httpx's; and the package's
    through a proxy tunnel to TLS."""
    operation = OPERATIONS[name]
    cancelled = finished_anyway = 0
    async with open_local_server() as server:
        script(server)
        async with (
            pool_and_url(transport, 0 if pool == "new connection" else 10, server) as (
                http,
                base_url,
            ),
            trio_openai.OpenAI(
                api_key=KEY, base_url=base_url, max_retries=2, http_client=http
            ) as client,
        ):
            await operation(client)  # warm-up (and a pooled connection for "pooled")
            for n in range(MAX_STEPS):
                fired, completed = await run_cancelled_at(lambda: operation(client), n)
                stats = client.statistics()
                assert stats["busy"] == 0 and stats["waiting"] == 0, (n, stats)
                await operation(client)  # the next call on the same client works
                if not fired:
                    break
                if completed:
                    finished_anyway += 1
                else:
                    cancelled += 1
            else:
                raise AssertionError(f"{name} did not complete within {MAX_STEPS} steps")
            unconnected = client.statistics().get("unconnected", 0)
        with trio.fail_after(5):
            await server.wait_open_connections(0)
    counts = {
        "points": n,
        "cancelled": cancelled,
        "finished_anyway": finished_anyway,
        "unconnected": unconnected,
    }
    SWEEP_COUNTS[f"{name}, {pool}, {transport}"] = counts
    print(f"\ncancellation sweep {name}, {pool}, {transport}: {counts}")
    assert cancelled >= 3  # the sweep really went through the operation
