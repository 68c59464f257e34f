"""HTTP/2 on trio_openai's own transport (``DefaultHttpClient(http2=True)``), over real
sockets: hypercorn's trio worker with TLS from trustme for what a server does normally, and
a scripted h2 server (tests/http2_servers.py) for GOAWAY, dropped connections and resets.
"""

# pyright: reportPrivateUsage=false

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio
from http2_servers import (
    BIG,
    AppLog,
    Certificates,
    make_certificates,
    open_fault_server,
    open_hypercorn,
)
from proxy_server import open_proxy

import trio_openai
from trio_openai._http2 import STREAM_WINDOW
from trio_openai.types.params import ChatCompletionRequestMessageParam

KEY = "sk-h2-test"
MESSAGES: list[ChatCompletionRequestMessageParam] = [
    {"role": "user", "content": "stream me a few words"}
]
ECHO_TEXT = "You said: stream me a few words"


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path)


def http2_client(certificates: Certificates) -> trio_openai.DefaultHttpClient:
    return trio_openai.DefaultHttpClient(http2=True, verify=certificates.ca_file)


def api(
    http: trio_openai.DefaultHttpClient, url: str, *, max_retries: int = 2
) -> trio_openai.OpenAI:
    return trio_openai.OpenAI(
        api_key=KEY, base_url=url + "/v1", http_client=http, max_retries=max_retries
    )


async def test_a_json_call_goes_over_http2(certificates: Certificates) -> None:
    log = AppLog()
    async with (
        open_hypercorn(certificates, log) as url,
        http2_client(certificates) as http,
        api(http, url) as client,
    ):
        completion = await client.chat.completions.create(model="echo-1", messages=MESSAGES)
        assert completion.choices[0].message.content == ECHO_TEXT
        models = await client.models.list()
        assert [model.id async for model in models]
        assert log.versions == ["2", "2"]
        stats = client.statistics()
        assert (stats["connections"], stats["idle"], stats["busy"], stats["streams"]) == (
            1,
            1,
            0,
            0,
        )
    assert http.statistics()["connections"] == 0  # closed with its block


async def test_many_streams_share_one_connection(certificates: Certificates) -> None:
    """Chat and Responses streams, all open at once, on one connection."""
    log = AppLog(pace=0.2)  # so that no body has fully arrived when it is counted
    each = 60
    all_open, go_on = trio.Event(), trio.Event()
    opened = 0
    texts: list[str] = []

    async def arrived() -> None:
        nonlocal opened
        opened += 1
        if opened == 2 * each:
            all_open.set()
        await go_on.wait()

    async def chat(client: trio_openai.OpenAI) -> None:
        async with client.chat.completions.stream(model="echo-1", messages=MESSAGES) as stream:
            pieces = [await anext(aiter(stream.text_deltas()))]
            await arrived()
            pieces += [piece async for piece in stream.text_deltas()]
        texts.append("".join(pieces))

    async def responses(client: trio_openai.OpenAI) -> None:
        async with client.responses.stream(model="echo-1", input="one two three") as stream:
            await anext(stream)
            await arrived()
            final = await stream.get_final_response()
        texts.append(final.output_text)

    async with (
        open_hypercorn(certificates, log, max_streams=200) as url,
        http2_client(certificates) as http,
        api(http, url) as client,
    ):
        async with trio.open_nursery() as nursery:
            for _ in range(each):
                nursery.start_soon(chat, client)
                nursery.start_soon(responses, client)
            with trio.fail_after(20):
                await all_open.wait()
            stats = client.statistics()
            go_on.set()
            assert (stats["connections"], stats["streams"]) == (1, 2 * each)
        assert sorted(set(texts)) == sorted({ECHO_TEXT, "You said: one two three"})
        assert len(texts) == 2 * each
        assert client.statistics()["streams"] == 0


async def test_a_full_connection_opens_another(certificates: Certificates) -> None:
    log = AppLog(pace=0.2)
    holding, go_on = trio.Event(), trio.Event()
    started = 0

    async def hold(client: trio_openai.OpenAI) -> None:
        nonlocal started
        async with client.chat.completions.stream(model="echo-1", messages=MESSAGES) as stream:
            await anext(stream)
            started += 1
            if started == 25:
                holding.set()
            await go_on.wait()
            await stream.until_done()

    async with (
        open_hypercorn(certificates, log, max_streams=10) as url,
        http2_client(certificates) as http,
        api(http, url) as client,
        trio.open_nursery() as nursery,
    ):
        for _ in range(25):
            nursery.start_soon(hold, client)
        with trio.fail_after(20):
            await holding.wait()
        stats = client.statistics()
        go_on.set()
        assert (stats["connections"], stats["streams"]) == (3, 25)  # 10 + 10 + 5


async def read_all(response: httpx.Response) -> int:
    return sum([len(chunk) async for chunk in response.aiter_raw()])


async def test_a_slow_reader_stalls_only_its_own_stream(certificates: Certificates) -> None:
    """Flow control: a stream nobody reads gets one window of bytes; the others finish."""
    async with (
        open_fault_server(certificates, ["bytes"] * 5) as server,
        http2_client(certificates) as http,
        http.stream("GET", server.url + "/slow") as slow,
    ):
        assert slow.status_code == 200
        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                for n in range(4):

                    async def fast(n: int = n) -> None:
                        async with http.stream("GET", f"{server.url}/{n}") as response:
                            assert await read_all(response) == BIG

                    nursery.start_soon(fast)
        assert http.statistics()["connections"] == 1
        assert sorted(server.sent.values()) == [STREAM_WINDOW, BIG, BIG, BIG, BIG]
        assert await read_all(slow) == BIG
        assert server.sent[1] == BIG


async def test_request_bodies_larger_than_the_window(certificates: Certificates) -> None:
    body = bytes(range(256)) * 20000  # 5 MB, in memory
    digest = hashlib.sha256(body).hexdigest()

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 300_000):
            yield body[start : start + 300_000]

    async with (
        open_hypercorn(certificates, AppLog()) as url,
        http2_client(certificates) as http,
    ):
        for content in (body, streamed()):
            response = await http.post(f"{url}/upload", content=content)
            assert response.json() == {"size": len(body), "sha256": digest}
            assert response.http_version == "HTTP/2"
        assert http.statistics()["connections"] == 1


async def test_cancelling_one_stream_leaves_the_others_running(certificates: Certificates) -> None:
    log = AppLog(pace=0.02)
    texts: list[str] = []

    async def chat(client: trio_openai.OpenAI) -> None:
        async with client.chat.completions.stream(model="echo-1", messages=MESSAGES) as stream:
            texts.append("".join([piece async for piece in stream.text_deltas()]))

    async with (
        open_hypercorn(certificates, log) as url,
        http2_client(certificates) as http,
        api(http, url) as client,
    ):
        async with trio.open_nursery() as nursery:
            for _ in range(5):
                nursery.start_soon(chat, client)
            with trio.CancelScope() as scope:
                async with client.chat.completions.stream(
                    model="echo-1", messages=MESSAGES
                ) as stream:
                    await anext(stream)
                    assert client.statistics()["streams"] == 6
                    scope.cancel()
                    async for _ in stream:  # cancelled at its next wait for bytes
                        pass
            assert scope.cancelled_caught
            assert client.statistics()["streams"] == 5  # released at once, only itself
        assert texts == [ECHO_TEXT] * 5
        stats = client.statistics()
        assert (stats["connections"], stats["streams"]) == (1, 0)


async def test_goaway_before_the_request_resends_it_on_a_new_connection(
    certificates: Certificates,
) -> None:
    async with (
        open_fault_server(certificates, ["goaway"]) as server,
        http2_client(certificates) as http,
        api(http, server.url, max_retries=0) as client,
    ):
        assert await client.post("/x", body={"a": 1}) == {"ok": True, "stream": 1}
        # not a retry of the client's policy: the server never processed the first one
        assert [(seen.connection, seen.retry_count) for seen in server.seen] == [
            (1, "0"),
            (2, "0"),
        ]
        assert client.statistics()["connections"] == 1  # the first one is not reused


async def test_a_stream_the_goaway_names_is_read_to_its_end(certificates: Certificates) -> None:
    async with (
        open_fault_server(certificates, ["graceful"]) as server,
        http2_client(certificates) as http,
        api(http, server.url, max_retries=0) as client,
    ):
        assert await client.post("/x", body={}) == {"ok": True, "stream": 1, "graceful": True}
        assert client.statistics()["connections"] == 0  # closed once its last stream ended
        assert await client.post("/x", body={}) == {"ok": True, "stream": 1}
        assert server.connections == 2


async def test_a_dropped_connection_is_retried_by_the_policy(certificates: Certificates) -> None:
    async with (
        open_fault_server(certificates, ["drop"]) as server,
        http2_client(certificates) as http,
        api(http, server.url, max_retries=2) as client,
    ):
        assert await client.post("/x", body={}) == {"ok": True, "stream": 1}
        assert [(seen.connection, seen.retry_count) for seen in server.seen] == [
            (1, "0"),
            (2, "1"),
        ]


async def test_a_refused_stream_is_sent_again(certificates: Certificates) -> None:
    async with (
        open_fault_server(certificates, ["refuse"]) as server,
        http2_client(certificates) as http,
        api(http, server.url, max_retries=0) as client,
    ):
        assert await client.post("/x", body={}) == {"ok": True, "stream": 3}
        assert [(seen.connection, seen.stream_id) for seen in server.seen] == [(1, 1), (1, 3)]


async def test_rst_stream_is_a_typed_connection_error(certificates: Certificates) -> None:
    async with (
        open_fault_server(certificates, ["reset-early", "reset"]) as server,
        http2_client(certificates) as http,
        api(http, server.url, max_retries=1) as client,
    ):
        with pytest.raises(trio_openai.APIConnectionError, match="INTERNAL_ERROR"):
            async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
                async for _ in stream:
                    pass
        # Reset before the headers: retried by the policy, as a reset HTTP/1.1 connection
        # is; reset mid-stream: the stream fails (events were delivered already).
        assert [seen.retry_count for seen in server.seen] == ["0", "1"]
        assert client.statistics()["streams"] == 0


async def test_an_idle_connection_past_keepalive_expiry_is_replaced(
    certificates: Certificates,
) -> None:
    async with (
        open_fault_server(certificates, []) as server,
        trio_openai.DefaultHttpClient(
            http2=True, verify=certificates.ca_file, keepalive_expiry=0.2
        ) as http,
        api(http, server.url) as client,
    ):
        await client.post("/x", body={})
        await client.post("/x", body={})  # at once: the same connection
        await trio.sleep(0.3)
        await client.post("/x", body={})
        assert [seen.connection for seen in server.seen] == [1, 1, 2]
        assert client.statistics()["connections"] == 1


async def test_a_server_without_h2_gets_http11(certificates: Certificates) -> None:
    log = AppLog()
    async with (
        open_hypercorn(certificates, log, alpn=["http/1.1"]) as url,
        http2_client(certificates) as http,
        api(http, url) as client,
    ):
        for _ in range(3):
            completion = await client.chat.completions.create(model="echo-1", messages=MESSAGES)
            assert completion.choices[0].message.content == ECHO_TEXT
        assert log.versions == ["1.1"] * 3
        # the connection opened to try h2 was kept: one handshake for the three calls
        assert client.statistics()["connections"] == 1


async def test_http2_through_a_proxy_tunnel(certificates: Certificates) -> None:
    log = AppLog()
    async with (
        open_hypercorn(certificates, log) as url,
        open_proxy() as proxy,
        trio_openai.DefaultHttpClient(
            http2=True, verify=certificates.ca_file, proxy=proxy.url
        ) as http,
        api(http, url) as client,
    ):
        for _ in range(2):
            completion = await client.chat.completions.create(model="echo-1", messages=MESSAGES)
            assert completion.choices[0].message.content == ECHO_TEXT
        assert log.versions == ["2", "2"]
        assert [seen.method for seen in proxy.seen] == ["CONNECT"]  # one tunnel, two calls


async def test_a_cancelled_block_closes_its_connections_and_tasks(
    certificates: Certificates,
) -> None:
    http = http2_client(certificates)
    async with open_fault_server(certificates, []) as server:
        with trio.CancelScope() as scope:
            async with http:
                response = await http.post(server.url + "/x", content=b"{}")
                assert response.json() == {"ok": True, "stream": 1}
                scope.cancel()
                await trio.sleep_forever()
        assert scope.cancelled_caught  # the reader and writer ended with the block
        assert http.statistics()["connections"] == 0


async def test_http2_needs_the_async_with_block(certificates: Certificates) -> None:
    http = http2_client(certificates)
    async with api(http, "https://localhost:1", max_retries=0) as client:
        with pytest.raises(trio_openai.APIConnectionError, match="async with DefaultHttpClient"):
            await client.models.list()


def test_importing_the_package_does_not_import_h2() -> None:
    code = (
        "import sys, trio_openai; trio_openai.DefaultHttpClient(); "
        "assert 'h2' not in sys.modules, 'h2 imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_http2_without_h2_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['h2'] = None\n"
        "import trio_openai\n"
        "try:\n"
        "    trio_openai.DefaultHttpClient(http2=True)\n"
        "except ImportError as exc:\n"
        "    assert 'trio_openai[http2]' in str(exc), exc\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
