"""Proxies on trio_openai's own transport: over real sockets, through tests/proxy_server.py.

An http origin is reached by absolute-form requests to the proxy, an https origin by a
CONNECT tunnel (TLS inside it, from trustme certificates); credentials in the proxy URL
become Proxy-Authorization; HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY apply when
the environment is trusted. The routing rules themselves are pure (trio_openai._proxy).
"""

# pyright: reportPrivateUsage=false

from __future__ import annotations

import ssl

import pytest
import trio
import trustme
from proxy_server import open_proxy, open_tls_front

import trio_openai
from trio_openai._pool import TrioTransport
from trio_openai._proxy import Proxy, ProxyRouter, parse_proxy_url
from trio_openai._transport import make_http_client
from trio_openai.testing import LocalServer, Reply

KEY = "sk-proxy-test"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("TRIO_OPENAI_TRANSPORT", raising=False)
    return monkeypatch


# -- routing (pure) ---------------------------------------------------------------------


def test_a_proxy_url_gives_host_port_and_basic_credentials() -> None:
    proxy = parse_proxy_url("http://al%40ice:pa%3Ass@proxy.example:3128")
    assert (proxy.scheme, proxy.host, proxy.port) == ("http", "proxy.example", 3128)
    assert proxy.authorization == b"Basic YWxAaWNlOnBhOnNz"  # al@ice:pa:ss
    assert "pa" not in repr(proxy) and "YWx" not in repr(proxy)
    assert parse_proxy_url("proxy.example").port == 80  # no scheme: http://
    assert parse_proxy_url("https://proxy.example").port == 443


@pytest.mark.parametrize("url", ["socks5://127.0.0.1:1080", "http://", "http://h:99999"])
def test_a_proxy_the_transport_cannot_use_is_a_clear_error(url: str) -> None:
    with pytest.raises(ValueError, match="proxy"):
        parse_proxy_url(url)
    with pytest.raises(ValueError, match=r"proxy=.*socks|proxy=") as info:
        trio_openai.DefaultHttpClient(proxy=url)
    assert "secret" not in str(info.value)


ENV = {"HTTPS_PROXY": "http://s:3128", "HTTP_PROXY": "http://p:3128"}


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        (ENV, ("https", "api.openai.com", 443), "s"),
        (ENV, ("http", "api.openai.com", 80), "p"),
        ({"ALL_PROXY": "http://a:1"}, ("https", "x.test", 443), "a"),
        ({"ALL_PROXY": "http://a:1", "https_proxy": "http://s:1"}, ("https", "x", 443), "s"),
        ({"HTTPS_PROXY": "http://up:1", "https_proxy": "http://low:1"}, ("https", "x", 1), "low"),
        ({**ENV, "NO_PROXY": "*"}, ("https", "api.openai.com", 443), None),
        ({**ENV, "NO_PROXY": "openai.com"}, ("https", "api.openai.com", 443), None),
        ({**ENV, "NO_PROXY": "openai.com"}, ("https", "openai.com", 443), None),
        ({**ENV, "NO_PROXY": "openai.com"}, ("https", "notopenai.com", 443), "s"),
        ({**ENV, "NO_PROXY": ".openai.com"}, ("https", "api.openai.com", 443), None),
        ({**ENV, "NO_PROXY": "*.openai.com"}, ("https", "api.openai.com", 443), None),
        ({**ENV, "NO_PROXY": "a.test, b.test"}, ("https", "b.test", 443), None),
        ({**ENV, "NO_PROXY": "b.test:8443"}, ("https", "b.test", 443), "s"),
        ({**ENV, "NO_PROXY": "b.test:8443"}, ("https", "b.test", 8443), None),
        ({**ENV, "NO_PROXY": "10.0.0.0/8"}, ("http", "10.1.2.3", 80), None),
        ({**ENV, "NO_PROXY": "10.0.0.0/8"}, ("http", "11.1.2.3", 80), "p"),
        ({**ENV, "NO_PROXY": "127.0.0.1"}, ("http", "127.0.0.1", 8000), None),
        ({**ENV, "NO_PROXY": "::1"}, ("http", "::1", 8000), None),
        ({**ENV, "NO_PROXY": "LocalHost"}, ("http", "localhost", 8000), None),
    ],
)
def test_environment_routing(
    env: dict[str, str], url: tuple[str, str, int], expected: str | None
) -> None:
    router = ProxyRouter.from_environment(env)
    assert router is not None
    proxy = router.route(*url)
    assert (proxy.host if proxy else None) == expected


def test_no_proxy_variables_means_no_router() -> None:
    assert ProxyRouter.from_environment({"NO_PROXY": "x", "PATH": "/bin"}) is None
    with pytest.raises(ValueError, match="HTTPS_PROXY"):
        ProxyRouter.from_environment({"HTTPS_PROXY": "socks5://h:1"})


def test_an_explicit_proxy_ignores_no_proxy() -> None:
    router = ProxyRouter.from_url("http://p:1")
    assert router.route("https", "localhost", 443) == Proxy("http", "p", 1)


# -- over real sockets ------------------------------------------------------------------


@pytest.fixture
def origin(local_server: LocalServer) -> LocalServer:
    local_server.script("POST", "/v1/echo", Reply.json({"ok": True}))
    local_server.script("POST", "/v1/events", Reply.sse([{"n": 1}, {"n": 2}]))
    return local_server


async def exchange(client: trio_openai.OpenAI) -> None:
    """A JSON call and a stream, twice: the second pair reuses the kept-alive connection."""
    for _ in range(2):
        assert await client.post("/echo", body={"q": 1}) == {"ok": True}
        async with client.stream("POST", "/events", body={"stream": True}) as stream:
            assert [event async for event in stream] == [{"n": 1}, {"n": 2}]
    assert client.statistics()["busy"] == 0


async def test_an_http_origin_through_a_proxy_with_credentials(
    origin: LocalServer, clean_env: pytest.MonkeyPatch
) -> None:
    async with open_proxy(credentials=("user", "p@ss word")) as proxy:
        url = f"http://user:p%40ss%20word@127.0.0.1:{proxy.port}"
        async with (
            trio_openai.DefaultHttpClient(proxy=url) as http,
            trio_openai.OpenAI(api_key=KEY, base_url=origin.base_url, http_client=http) as client,
        ):
            await exchange(client)
            assert http.statistics()["idle"] == 1
    assert proxy.connections == 1  # kept alive to the proxy
    assert [s.target for s in proxy.seen] == [
        f"{origin.base_url}/echo",
        f"{origin.base_url}/events",
    ] * 2  # absolute form
    assert {s.authorization for s in proxy.seen} == {"Basic dXNlcjpwQHNzIHdvcmQ="}
    # the proxy's credentials stay with the proxy; the API key goes on to the origin
    assert all("proxy-authorization" not in r.headers for r in origin.requests)
    assert {r.headers["authorization"] for r in origin.requests} == {f"Bearer {KEY}"}


@pytest.fixture
def tls() -> tuple[trustme.CA, ssl.SSLContext]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    return ca, server_context


async def test_an_https_origin_through_a_connect_tunnel(
    origin: LocalServer, tls: tuple[trustme.CA, ssl.SSLContext], clean_env: pytest.MonkeyPatch
) -> None:
    ca, server_context = tls
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    async with (
        open_tls_front(server_context, origin.port) as front,
        open_proxy(credentials=("u", "pw")) as proxy,
        trio_openai.DefaultHttpClient(
            proxy=proxy.url_with("u", "pw"), verify=client_context
        ) as http,
        trio_openai.OpenAI(api_key=KEY, base_url=front.base_url, http_client=http) as client,
    ):
        await exchange(client)
    # one tunnel, kept alive; the proxy saw only the CONNECT, never the requests
    assert [(s.method, s.target, s.authorization) for s in proxy.seen] == [
        ("CONNECT", f"localhost:{front.port}", "Basic dTpwdw==")
    ]
    assert front.handshakes == 1
    assert len(origin.requests) == 4


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_wrong_proxy_credentials(
    scheme: str,
    origin: LocalServer,
    tls: tuple[trustme.CA, ssl.SSLContext],
    clean_env: pytest.MonkeyPatch,
) -> None:
    """A refused tunnel is a connection error naming the 407 (never the password); a
    forwarded request's 407 is the proxy's HTTP answer, as with httpx."""
    ca, server_context = tls
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    async with (
        open_tls_front(server_context, origin.port) as front,
        open_proxy(credentials=("u", "right")) as proxy,
    ):
        base_url = front.base_url if scheme == "https" else origin.base_url
        async with (
            trio_openai.DefaultHttpClient(
                proxy=proxy.url_with("u", "wrong"), verify=client_context
            ) as http,
            trio_openai.OpenAI(
                api_key=KEY, base_url=base_url, http_client=http, max_retries=0
            ) as client,
        ):
            if scheme == "https":
                with pytest.raises(trio_openai.APIConnectionError, match="407") as info:
                    await client.post("/echo", body={})
                assert "wrong" not in str(info.value)
            else:
                with pytest.raises(trio_openai.APIStatusError) as status:
                    await client.post("/echo", body={})
                assert status.value.status_code == 407
            assert client.statistics()["busy"] == 0
    assert origin.requests == []


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
async def test_the_environment_chooses_the_proxy_and_no_proxy_bypasses_it(
    variable: str, origin: LocalServer, clean_env: pytest.MonkeyPatch
) -> None:
    async with open_proxy() as proxy:
        clean_env.setenv(variable, proxy.url)
        async with trio_openai.OpenAI(api_key=KEY, base_url=origin.base_url) as client:
            assert isinstance(client._http._transport, TrioTransport)  # our transport, still
            await exchange(client)
        assert len(proxy.seen) == 4
        clean_env.setenv("NO_PROXY", "example.com,127.0.0.1")
        async with trio_openai.OpenAI(api_key=KEY, base_url=origin.base_url) as client:
            await exchange(client)
        assert len(proxy.seen) == 4  # the second client went straight to the origin
        async with (
            trio_openai.DefaultHttpClient(trust_env=False) as http,
            trio_openai.OpenAI(api_key=KEY, base_url=origin.base_url, http_client=http) as client,
        ):
            clean_env.delenv("NO_PROXY")
            await exchange(client)
        assert len(proxy.seen) == 4  # trust_env=False: no proxy from the environment
    assert len(origin.requests) == 12


async def test_an_unreachable_proxy_is_a_connection_error_naming_it(
    origin: LocalServer, clean_env: pytest.MonkeyPatch
) -> None:
    async with open_proxy() as proxy:
        port = proxy.port
    async with (
        trio_openai.DefaultHttpClient(proxy=f"http://127.0.0.1:{port}") as http,
        trio_openai.OpenAI(
            api_key=KEY, base_url=origin.base_url, http_client=http, max_retries=0
        ) as client,
    ):
        with pytest.raises(trio_openai.APIConnectionError, match=f"proxy 127.0.0.1:{port}"):
            await client.post("/echo", body={})
        assert client.statistics()["busy"] == 0


async def test_cancelled_inside_a_tunnel_leaves_nothing_checked_out(
    origin: LocalServer, tls: tuple[trustme.CA, ssl.SSLContext], clean_env: pytest.MonkeyPatch
) -> None:
    ca, server_context = tls
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    origin.script("POST", "/v1/slow", Reply.sse([{"n": 1}], pace=10))
    async with (
        open_tls_front(server_context, origin.port) as front,
        open_proxy() as proxy,
        trio_openai.DefaultHttpClient(proxy=proxy.url, verify=client_context) as http,
        trio_openai.OpenAI(api_key=KEY, base_url=front.base_url, http_client=http) as client,
    ):
        for delay in (0.0, 0.001, 0.01, 0.05, 0.2):
            with trio.move_on_after(delay):
                async with client.stream("POST", "/slow", body={}) as stream:
                    async for _ in stream:
                        pass
            assert client.statistics()["busy"] == 0
        await exchange(client)


async def test_make_http_client_keeps_our_transport_under_proxy_variables(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    async with make_http_client(transport="trio") as http:
        assert isinstance(http, trio_openai.DefaultHttpClient)
        assert isinstance(http._transport, TrioTransport)
        assert http._transport._proxies is not None
