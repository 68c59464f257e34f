# pyright: strict
"""The chat UI example in a real browser: Debian's Chromium driven by Playwright.

Three processes, as in use: the upstream (the local echo server, in a thread of this test
process so the test sees its connections), the app (examples/chat_ui/app.py, started as a
user starts it, pointed at the upstream) and Chromium (/usr/bin/chromium; nothing downloads
a browser). The page records when each frame's text reached the DOM;
`test_measure_latency_frame_rate_and_a_slow_connection` puts the app behind an upstream
that notes when it writes each token, and reports per-token latency, frame rate and a
throttled link (docs/chat-ui.md shows the figures). With TRIO_OPENAI_UPDATE_DOCS=1 it also
rewrites docs/chat-ui.png and docs/chat-ui-measurements.json.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import h11
import pytest
import trio
from playwright.sync_api import Browser, Page, sync_playwright

from trio_openai.testing import LocalServer, open_local_server

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "examples" / "chat_ui" / "app.py"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WORDS = 40
PROMPT = " ".join(f"token{i}" for i in range(WORDS))
REPLY = "You said: " + PROMPT


class Upstream:
    """The local echo server, run by trio in a thread of its own."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._server: LocalServer | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self._thread = threading.Thread(target=trio.run, args=(self._main,), daemon=True)

    async def _main(self) -> None:
        async with open_local_server() as server:
            self._server = server
            self._token = trio.lowlevel.current_trio_token()
            self._stop = trio.Event()
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> LocalServer:
        self._thread.start()
        assert self._ready.wait(10), "the upstream server did not start"
        assert self._server is not None
        return self._server

    def __exit__(self, *exc_info: object) -> None:
        assert self._token is not None and self._stop is not None
        trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(10)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def upstream() -> Iterator[LocalServer]:
    with Upstream() as server:
        yield server


class App:
    """examples/chat_ui/app.py in a subprocess, on a free port."""

    def __init__(self, base_url: str, *, model: str = "echo-1", api: str = "responses") -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        self.proc = subprocess.Popen(
            [sys.executable, str(APP), "--port", "0", "--base-url", base_url,
             "--model", model, "--api", api],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("chat UI on "), line
        self.url = line.split()[3]

    def stats(self, page: Page) -> dict[str, object]:
        response = page.request.get(self.url + "stats")
        return cast("dict[str, object]", response.json())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


@pytest.fixture
def app(upstream: LocalServer) -> Iterator[App]:
    running = App(upstream.base_url)
    yield running
    running.close()


def ask(page: Page, app: App, transport: str, prompt: str = PROMPT) -> None:
    page.goto(app.url)
    page.select_option("#transport", transport)
    page.fill("#prompt", prompt)
    page.click("#send")


def frames(page: Page) -> list[dict[str, float]]:
    return cast("list[dict[str, float]]", page.evaluate("window.chat.frames"))


def done(page: Page) -> str | None:
    return cast("str | None", page.evaluate("window.chat.done"))


def pool(app: App, page: Page) -> dict[str, int]:
    return cast("dict[str, int]", app.stats(page)["pool"])


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_tokens_appear_before_the_reply_completes(
    browser: Browser, upstream: LocalServer, app: App, transport: str
) -> None:
    upstream.echo_pace = 0.05  # ~2 s for the whole reply
    page = browser.new_page()
    ask(page, app, transport)
    page.wait_for_function("document.getElementById('out').textContent.length > 0")
    shown = page.text_content("#out") or ""
    assert done(page) is None and 0 < len(shown) < len(REPLY)
    assert REPLY.startswith(shown)
    page.wait_for_function("window.chat.done !== null")
    assert done(page) == "completed"
    assert page.text_content("#out") == REPLY
    page.close()


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_stop_cancels_the_upstream_request(
    browser: Browser, upstream: LocalServer, app: App, transport: str
) -> None:
    upstream.echo_pace = 0.2  # ~8 s for the whole reply
    page = browser.new_page()
    ask(page, app, transport)
    page.wait_for_function("window.chat.frames.length >= 2")
    assert upstream.open_connections == 1
    page.click("#stop")
    page.wait_for_function("window.chat.done === 'stopped'")
    # The app closed its upstream connection, and the upstream server saw it go.
    wait_for("the upstream sees the disconnect", lambda: upstream.open_connections == 0)
    stats = app.stats(page)
    assert stats["active_relays"] == 0 and pool(app, page)["connections"] == 0
    relays = cast("list[dict[str, object]]", stats["relays"])
    assert relays[-1]["reason"] == ("disconnected" if transport == "sse" else "stopped")
    shown = page.text_content("#out") or ""
    time.sleep(0.5)  # two more upstream tokens' worth: nothing more arrives
    assert page.text_content("#out") == shown and len(shown) < len(REPLY)
    page.close()


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_closing_the_tab_releases_the_connection(
    browser: Browser, upstream: LocalServer, app: App, transport: str
) -> None:
    upstream.echo_pace = 0.2
    page = browser.new_page()
    ask(page, app, transport)
    page.wait_for_function("window.chat.frames.length >= 2")
    assert upstream.open_connections == 1
    page.close()
    wait_for("the upstream sees the disconnect", lambda: upstream.open_connections == 0)
    probe = browser.new_page()
    assert app.stats(probe)["active_relays"] == 0 and pool(app, probe)["connections"] == 0
    probe.close()


def test_two_tabs_stream_at_the_same_time(
    browser: Browser, upstream: LocalServer, app: App
) -> None:
    upstream.echo_pace = 0.05
    first, second = browser.new_page(), browser.new_page()
    ask(first, app, "sse", " ".join(["alpha"] * 60))
    ask(second, app, "ws", " ".join(["omega"] * 60))
    first.wait_for_function("window.chat.frames.length >= 3")
    second.wait_for_function("window.chat.frames.length >= 3")
    assert done(first) is None and done(second) is None  # both mid-stream at once
    assert upstream.open_connections == 2
    for page, word in ((first, "alpha"), (second, "omega")):
        page.wait_for_function("window.chat.done !== null")
        assert page.text_content("#out") == "You said: " + " ".join([word] * 60)
        page.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class TimedChat:
    """A Chat Completions upstream that notes when it writes each token (wall clock, ms).

    The local echo server cannot say when it wrote an event; this one can, so the latency
    measured is the whole path: upstream write, the app's client, the relay, hypercorn, the
    socket, the page's JavaScript, the DOM. It answers with the prompt's words, one token
    each, `pace` seconds apart, in a trio thread of its own.
    """

    def __init__(self) -> None:
        self.pace = 0.01
        self.sent: list[tuple[float, str]] = []
        self.base_url = ""
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self._thread = threading.Thread(target=trio.run, args=(self._main,), daemon=True)

    async def _main(self) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.base_url = f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}/v1"
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.serve_listeners, self._serve, listeners)
            self._token = trio.lowlevel.current_trio_token()
            self._stop = trio.Event()
            self._ready.set()
            await self._stop.wait()
            nursery.cancel_scope.cancel()

    async def _serve(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        with contextlib.suppress(h11.ProtocolError, trio.BrokenResourceError):
            while (body := await read_request(conn, stream)) is not None:
                words = str(json.loads(body)["messages"][-1]["content"]).split()
                head = h11.Response(
                    status_code=200, headers=[("content-type", "text/event-stream")]
                )
                await stream.send_all(conn.send(head))
                for i, word in enumerate(words):
                    token = word if i == 0 else " " + word
                    delta = {"index": 0, "delta": {"content": token}, "finish_reason": None}
                    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0,
                             "model": "timed", "choices": [delta]}  # fmt: skip
                    self.sent.append((time.time() * 1000.0, token))
                    data = b"data: " + json.dumps(chunk).encode() + b"\n\n"
                    await stream.send_all(conn.send(h11.Data(data=data)))
                    await trio.sleep(self.pace)
                await stream.send_all(conn.send(h11.Data(data=b"data: [DONE]\n\n")))
                await stream.send_all(conn.send(h11.EndOfMessage()))
                conn.start_next_cycle()

    def __enter__(self) -> TimedChat:
        self._thread.start()
        assert self._ready.wait(10), "the timed upstream did not start"
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._token is not None and self._stop is not None
        trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(10)


async def read_request(conn: h11.Connection, stream: trio.SocketStream) -> bytes | None:
    """The body of the next request on `conn`; None when the client closed the connection."""
    body = b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await stream.receive_some(65536))
        elif isinstance(event, h11.Data):
            body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            return body
        elif isinstance(event, h11.ConnectionClosed):
            return None


def run_scenario(
    browser: Browser, upstream: TimedChat, *, pace: float, words: int,
    throttle: int | None = None, transport: str = "sse",
) -> dict[str, float]:  # fmt: skip
    """One reply through the page; per token, the time from its upstream write to the DOM."""
    upstream.pace = pace
    upstream.sent.clear()
    app = App(upstream.base_url, model="timed", api="chat")
    try:
        page = browser.new_page()
        if throttle is not None:
            cdp = page.context.new_cdp_session(page)
            _ = cdp.send("Network.enable")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            conditions = {
                "offline": False,
                "latency": 0,
                "downloadThroughput": throttle,
                "uploadThroughput": -1,
            }
            _ = cdp.send("Network.emulateNetworkConditions", conditions)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        prompt = " ".join(f"w{i}" for i in range(words))
        ask(page, app, transport, prompt)
        page.wait_for_function("window.chat.done !== null", timeout=120_000)
        assert done(page) == "completed"
        assert page.text_content("#out") == prompt  # nothing dropped, nothing repeated
        got = frames(page)
        relays = cast("list[dict[str, float]]", app.stats(page)["relays"])
        page.close()
    finally:
        app.close()
    frame_ends = list(itertools.accumulate(int(f["chars"]) for f in got))
    latencies: list[float] = []
    end = 0
    for sent_at, token in upstream.sent:
        end += len(token)
        shown_by = got[bisect.bisect_left(frame_ends, end)]  # the frame that completed it
        latencies.append(shown_by["dom"] - sent_at)
    span = (got[-1]["dom"] - got[0]["dom"]) / 1000.0
    return {
        "upstream_tokens_per_s": round(1 / pace),
        "tokens": len(upstream.sent),
        "frames": len(got),
        "frames_per_s": round((len(got) - 1) / span, 1) if span > 0 else 0.0,
        "tokens_per_frame": round(len(upstream.sent) / len(got), 2),
        "latency_ms_median": round(statistics.median(latencies), 2),
        "latency_ms_p99": round(percentile(latencies, 0.99), 2),
        "max_backlog_chars": relays[-1]["max_backlog_chars"],
    }


def test_measure_latency_frame_rate_and_a_slow_connection(
    browser: Browser, upstream: LocalServer, app: App, tmp_path: Path
) -> None:
    with TimedChat() as timed:
        results = {
            "20 tokens/s, SSE": run_scenario(browser, timed, pace=0.05, words=100),
            "200 tokens/s, SSE": run_scenario(browser, timed, pace=0.005, words=600),
            "200 tokens/s, WebSocket": run_scenario(
                browser, timed, pace=0.005, words=600, transport="ws"
            ),
            "200 tokens/s, SSE, browser link 2 KB/s": run_scenario(
                browser, timed, pace=0.005, words=600, throttle=2000
            ),
        }
    print(json.dumps(results, indent=2))
    slow_tokens = results["20 tokens/s, SSE"]
    fast = results["200 tokens/s, SSE"]
    # Tokens slower than the frame rate travel one per frame; faster ones are coalesced.
    assert slow_tokens["tokens_per_frame"] < 1.5 < fast["tokens_per_frame"]
    assert fast["frames"] < fast["tokens"]

    page = browser.new_page(viewport={"width": 900, "height": 420})
    upstream.echo_pace = 0.1
    haiku = "Write a haiku about Trio: nurseries hold every task, cancel scopes end them"
    ask(page, app, "sse", haiku)
    page.wait_for_function("window.chat.frames.length >= 9")
    shot = tmp_path / "chat-ui.png"
    page.screenshot(path=str(shot))  # mid-stream: part of the reply, Stop enabled
    page.wait_for_function("window.chat.done !== null")
    page.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("TRIO_OPENAI_UPDATE_DOCS") == "1":
        (ROOT / "docs" / "chat-ui.png").write_bytes(shot.read_bytes())
        measured = json.dumps(results, indent=2) + "\n"
        (ROOT / "docs" / "chat-ui-measurements.json").write_text(measured)


@pytest.mark.llama
@pytest.mark.parametrize("api", ["responses", "chat"])
def test_the_page_streams_from_llama_server(browser: Browser, llama_url: str, api: str) -> None:
    app = App(llama_url, model="smollm2-135m", api=api)
    try:
        page = browser.new_page()
        ask(page, app, "ws", "Write a haiku about rivers")
        page.wait_for_function("window.chat.done !== null", timeout=120_000)
        assert done(page) == "completed" and frames(page)  # a 135M model: any text will do
        assert (page.text_content("#out") or "").strip()
        assert pool(app, page)["busy"] == 0
        page.close()
    finally:
        app.close()
