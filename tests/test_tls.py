"""Custom CA bundles and mutual TLS on trio_openai's own transport, over real sockets.

The server is the local server behind a TLS front (tests/proxy_server.py) whose context,
from trustme certificates, demands a client certificate signed by its CA.
"""

# pyright: reportPrivateUsage=false

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import attrs
import pytest
import trustme
from proxy_server import open_proxy, open_tls_front

import trio_openai
from trio_openai import _transport
from trio_openai._pool import TrioTransport
from trio_openai.testing import LocalServer, Reply

KEY = "sk-tls-test"


@attrs.frozen
class Pki:
    server_context: ssl.SSLContext  # demands a client certificate from client_ca
    ca_file: str  # the server's CA, as a PEM file
    cert_file: str  # the client's certificate
    key_file: str  # and its key
    combined_file: str  # both in one PEM file
    stranger_cert: tuple[str, str]  # a certificate from another CA


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    server_ca, client_ca, other_ca = trustme.CA(), trustme.CA(), trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ca.issue_cert("localhost").configure_cert(server_context)
    server_context.verify_mode = ssl.CERT_REQUIRED
    client_ca.configure_trust(server_context)
    client = client_ca.issue_cert("client@example.test")
    stranger = other_ca.issue_cert("stranger@example.test")

    def write(name: str, blob: trustme.Blob) -> str:
        path = tmp_path / name
        blob.write_to_path(str(path))
        return str(path)

    combined = tmp_path / "combined.pem"
    combined.write_bytes(client.private_key_pem.bytes() + client.cert_chain_pems[0].bytes())
    return Pki(
        server_context=server_context,
        ca_file=write("ca.pem", server_ca.cert_pem),
        cert_file=write("client.pem", client.cert_chain_pems[0]),
        key_file=write("client.key", client.private_key_pem),
        combined_file=str(combined),
        stranger_cert=(
            write("stranger.pem", stranger.cert_chain_pems[0]),
            write("stranger.key", stranger.private_key_pem),
        ),
    )


async def two_calls(http: trio_openai.DefaultHttpClient, base_url: str) -> None:
    async with trio_openai.OpenAI(api_key=KEY, base_url=base_url, http_client=http) as client:
        assert await client.post("/echo", body={}) == {"ok": True}
        async with client.stream("POST", "/events", body={"stream": True}) as stream:
            assert [event async for event in stream] == [{"n": 1}]


@pytest.fixture
def origin(local_server: LocalServer) -> LocalServer:
    local_server.script("POST", "/v1/echo", Reply.json({"ok": True}))
    local_server.script("POST", "/v1/events", Reply.sse([{"n": 1}]))
    return local_server


@pytest.mark.parametrize("form", ["pair", "one file", "ssl context"])
async def test_a_client_certificate_opens_a_server_that_requires_one(
    form: str, pki: Pki, origin: LocalServer
) -> None:
    if form == "ssl context":
        context = ssl.create_default_context(cafile=pki.ca_file)
        context.load_cert_chain(pki.cert_file, pki.key_file)
        http = trio_openai.DefaultHttpClient(verify=context)
    elif form == "pair":
        http = trio_openai.DefaultHttpClient(verify=pki.ca_file, cert=(pki.cert_file, pki.key_file))
    else:
        http = trio_openai.DefaultHttpClient(verify=pki.ca_file, cert=pki.combined_file)
    async with open_tls_front(pki.server_context, origin.port) as front, http:
        await two_calls(http, front.base_url)
        assert http.statistics()["idle"] == 1
    assert front.handshakes == 1  # kept alive
    (peer,) = front.peer_certs
    assert "client@example.test" in repr(peer)


@pytest.mark.parametrize("cert", ["none", "stranger"])
async def test_without_an_accepted_certificate_the_call_is_a_connection_error(
    cert: str, pki: Pki, origin: LocalServer
) -> None:
    http = trio_openai.DefaultHttpClient(
        verify=pki.ca_file, cert=None if cert == "none" else pki.stranger_cert
    )
    async with (
        open_tls_front(pki.server_context, origin.port) as front,
        http,
        trio_openai.OpenAI(
            api_key=KEY, base_url=front.base_url, http_client=http, max_retries=1
        ) as client,
    ):
        with pytest.raises(trio_openai.APIConnectionError):
            await client.post("/echo", body={})
        assert client.statistics()["busy"] == 0
    assert origin.requests == []


async def test_a_server_outside_the_ca_bundle_is_refused(pki: Pki, origin: LocalServer) -> None:
    """The certifi default does not know trustme's CA; a bundle of another CA neither."""
    other = trustme.CA()
    for verify in (True, other.cert_pem.bytes()):
        if isinstance(verify, bytes):
            context = ssl.create_default_context(cadata=verify.decode())
            http = trio_openai.DefaultHttpClient(verify=context)
        else:
            http = trio_openai.DefaultHttpClient(cert=(pki.cert_file, pki.key_file))
        async with (
            open_tls_front(pki.server_context, origin.port) as front,
            http,
            trio_openai.OpenAI(
                api_key=KEY, base_url=front.base_url, http_client=http, max_retries=0
            ) as client,
        ):
            with pytest.raises(trio_openai.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.post("/echo", body={})
    assert origin.requests == []


async def test_mutual_tls_through_a_proxy_tunnel(pki: Pki, origin: LocalServer) -> None:
    async with (
        open_tls_front(pki.server_context, origin.port) as front,
        open_proxy() as proxy,
        trio_openai.DefaultHttpClient(
            verify=pki.ca_file, cert=(pki.cert_file, pki.key_file), proxy=proxy.url
        ) as http,
    ):
        await two_calls(http, front.base_url)
    assert [s.method for s in proxy.seen] == ["CONNECT"]
    assert front.handshakes == 1


@pytest.fixture
def ca_directory(pki: Pki, tmp_path: Path) -> Path:
    """The server's CA in an OpenSSL hashed directory (as SSL_CERT_DIR would hold)."""
    directory = tmp_path / "cas"
    directory.mkdir()
    (directory / "ca.pem").write_bytes(Path(pki.ca_file).read_bytes())
    subprocess.run(["openssl", "rehash", str(directory)], check=True, capture_output=True)
    return directory


async def test_a_ca_directory_is_accepted(
    pki: Pki, origin: LocalServer, ca_directory: Path
) -> None:
    directory = ca_directory
    async with (
        open_tls_front(pki.server_context, origin.port) as front,
        trio_openai.DefaultHttpClient(
            verify=str(directory), cert=(pki.cert_file, pki.key_file)
        ) as http,
    ):
        await two_calls(http, front.base_url)


def ssl_context_of(http: trio_openai.DefaultHttpClient) -> ssl.SSLContext:
    transport = http._transport
    assert isinstance(transport, TrioTransport)
    return transport._ssl_context


async def test_ssl_contexts_are_built_once_per_process_unless_a_certificate_is_given(
    pki: Pki,
) -> None:
    async with (
        trio_openai.DefaultHttpClient() as a,
        trio_openai.DefaultHttpClient(max_connections=5) as b,
        trio_openai.DefaultHttpClient(verify=pki.ca_file) as c,
        trio_openai.DefaultHttpClient(verify=pki.ca_file) as d,
        trio_openai.DefaultHttpClient(verify=pki.ca_file, cert=pki.combined_file) as e,
        trio_openai.DefaultHttpClient(verify=False) as f,
    ):
        shared = _transport.shared_ssl_context()
        assert ssl_context_of(a) is shared and ssl_context_of(b) is shared
        assert ssl_context_of(c) is ssl_context_of(d) is not shared
        assert ssl_context_of(e) not in (shared, ssl_context_of(c))  # holds a private key
        assert ssl_context_of(f).verify_mode == ssl.CERT_NONE
        assert shared.verify_mode == ssl.CERT_REQUIRED  # nothing leaked into the shared one


def test_bad_tls_options_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"DefaultHttpClient\(verify=.*no CA bundle"):
        trio_openai.DefaultHttpClient(verify=str(tmp_path / "missing.pem"))
    with pytest.raises((OSError, ssl.SSLError)):
        trio_openai.DefaultHttpClient(cert=(str(tmp_path / "no.pem"), str(tmp_path / "no.key")))
    with pytest.raises(ValueError, match="max_connections"):
        trio_openai.DefaultHttpClient(max_connections=0)
