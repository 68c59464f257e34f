"""`DefaultHttpClient`: the connection pool trio_openai uses, configurable and public.

Part of the transport layer (with ``_transport.py``, ``_pool.py``, ``_connect.py``): an
``httpx.AsyncClient`` whose transport is trio_openai's own (`_pool.TrioTransport`), so
that sizing the pool, a proxy or a client certificate keeps the project's measured speed
(docs/transport.md) instead of falling back to httpx's transport.

The names are openai-python's and httpx's (``DefaultAsyncHttpxClient``, ``httpx.Limits``
fields, ``verify``, ``cert``, ``proxy``, ``trust_env``), so code written for
``openai.DefaultAsyncHttpxClient(...)`` ports by changing the import.
"""

from __future__ import annotations

import functools
import os
import ssl
from http.cookiejar import CookieJar
from typing import final

import httpx

from ._proxy import ProxyRouter
from ._transport import drop_credentials_across_origins, shared_ssl_context

__all__ = [
    "CertTypes",
    "DefaultAsyncHttpxClient",
    "DefaultHttpClient",
    "VerifyTypes",
    "tls_context",
]

VerifyTypes = ssl.SSLContext | str | os.PathLike[str] | bool
"""True (the certifi bundle), False (no verification), a CA bundle file or directory, or
an `ssl.SSLContext` used as is."""
CertTypes = str | tuple[str, str] | tuple[str, str, str]
"""A client certificate: one PEM file holding certificate and key, (certfile, keyfile),
or (certfile, keyfile, password)."""


@final
class _Cookies(httpx.Cookies):
    """httpx's cookie jar, skipping responses that set no cookie.

    httpx hands every response to the jar, which first builds urllib and email stand-ins
    of the request and the response (the request's headers copied one lookup at a time):
    ~11 % of the CPU of a short stream under cProfile, for API responses that set none.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class DefaultHttpClient(httpx.AsyncClient):
    """The default connection pool, with its settings as arguments.

    Pass it as ``OpenAI(http_client=...)``; it stays yours: close it after the clients
    that use it (``async with DefaultHttpClient(...) as http, OpenAI(http_client=http)``).

    - ``max_connections`` (1000): open connections at most; requests beyond wait for one,
      first come first served. ``max_keepalive_connections`` (100): idle connections
      kept for reuse, none longer than ``keepalive_expiry`` seconds (5).
    - ``local_address``: the local IP address to connect from.
    - ``verify``: True (certifi's CA bundle), a CA bundle path (file or directory), an
      ``ssl.SSLContext`` (used as is), or False (no verification: tests only). Unlike
      httpx, no environment variable (SSL_CERT_FILE...) changes what is trusted: only
      an argument can (docs/transport.md).
    - ``cert``: a client certificate for mutual TLS: ``(certfile, keyfile)``, one PEM
      file holding both, or ``(certfile, keyfile, password)``.
    - ``proxy``: an ``http://`` or ``https://`` proxy URL for every request, with
      ``user:password@`` for proxy authentication. Without it and with ``trust_env``
      (the default), HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY apply.
    - ``follow_redirects`` (True): credentials are dropped on a redirect to another
      origin.
    - ``http2`` (False): offer HTTP/2 to https servers (needs the ``http2`` extra, the
      ``h2`` package): many requests share one connection, up to the server's limit of
      concurrent streams. Servers that do not choose HTTP/2 get HTTP/1.1. The client
      must then be opened with ``async with`` (its connections' reader tasks run in it).

    Connect timeouts are per request: ``OpenAI(timeout=Timeout(connect=...))``. Raises
    ValueError for a proxy URL the transport cannot speak to (socks5...) and for
    limits below 1 or below 0; ssl and OS errors for a certificate that does not load;
    ImportError naming the extra for ``http2=True`` without ``h2`` installed.
    """

    def __init__(
        self,
        *,
        max_connections: int = 1000,
        max_keepalive_connections: int = 100,
        keepalive_expiry: float = 5.0,
        local_address: str | None = None,
        verify: VerifyTypes = True,
        cert: CertTypes | None = None,
        proxy: str | httpx.URL | None = None,
        trust_env: bool = True,
        follow_redirects: bool = True,
        http2: bool = False,
    ) -> None:
        from ._pool import TrioTransport

        if http2:
            try:
                import h2  # noqa: F401  # pyright: ignore[reportUnusedImport]
            except ImportError as exc:
                raise ImportError(
                    "DefaultHttpClient(http2=True) needs the h2 package: "
                    "pip install 'trio_openai[http2]'"
                ) from exc

        if max_connections < 1:
            raise ValueError(f"DefaultHttpClient(max_connections={max_connections}): use >= 1")
        if max_keepalive_connections < 0 or keepalive_expiry < 0:
            raise ValueError(
                "DefaultHttpClient: max_keepalive_connections and keepalive_expiry are >= 0"
            )
        if proxy is not None:
            proxies: ProxyRouter | None = ProxyRouter.from_url(str(proxy))
        elif trust_env:
            proxies = ProxyRouter.from_environment()
        else:
            proxies = None
        if http2:
            context: ssl.SSLContext | None = h2_tls_context(verify, cert)
        elif verify is True and cert is None:
            context = None  # left to the pool, which builds it on first connect
        else:
            context = tls_context(verify, cert)
        self._pool = TrioTransport(
            ssl_context=context,
            max_connections=max_connections,
            max_keepalive=max_keepalive_connections,
            keepalive_expiry=keepalive_expiry,
            local_address=local_address,
            proxies=proxies,
            http2=http2,
        )
        super().__init__(
            transport=self._pool,
            timeout=httpx.Timeout(None),  # cancel scopes bound each call instead
            follow_redirects=follow_redirects,
            trust_env=trust_env,
            event_hooks={"request": [drop_credentials_across_origins]},
        )
        self.cookies = self._cookies  # through the setter below: our jar

    @property
    def cookies(self) -> httpx.Cookies:
        """The cookies the client sends (and keeps from responses that set them)."""
        return self._cookies

    @cookies.setter
    def cookies(
        self, cookies: httpx.Cookies | CookieJar | dict[str, str] | list[tuple[str, str]]
    ) -> None:
        self._cookies = _Cookies(cookies)

    def statistics(self) -> dict[str, int]:
        """The pool's counters; see `trio_openai.OpenAI.statistics`."""
        return self._pool.statistics()


DefaultAsyncHttpxClient = DefaultHttpClient
"""openai-python's name for the same thing (``openai.DefaultAsyncHttpxClient``)."""


def tls_context(verify: VerifyTypes, cert: CertTypes | None) -> ssl.SSLContext:
    """The SSL context for these options; the process-wide one when nothing is asked."""
    if isinstance(verify, ssl.SSLContext):
        context = verify
        if cert is not None:
            _load_cert(context, cert)
        return context
    if verify is True:
        if cert is None:
            return shared_ssl_context()  # built once per process: ~30 ms each
        import certifi  # an httpx dependency

        context = ssl.create_default_context(cafile=certifi.where())
    elif verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = _context_for_ca(os.fspath(verify)) if cert is None else _new_context(verify)
    if cert is not None:
        _load_cert(context, cert)
    return context


def h2_tls_context(verify: VerifyTypes, cert: CertTypes | None) -> ssl.SSLContext:
    """A context that offers h2 then http/1.1 in ALPN. Never the process-wide context of
    the HTTP/1.1 clients (a server would answer them in HTTP/2): one of its own, built once
    per process for the common cases; a context you pass is changed in place, as httpx does."""
    if cert is None and not isinstance(verify, ssl.SSLContext):
        return _cached_h2_context(verify if isinstance(verify, bool) else os.fspath(verify))
    context = tls_context(verify, cert)  # yours, or this client's own (it holds the key)
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


@functools.cache
def _cached_h2_context(verify: bool | str) -> ssl.SSLContext:
    context = _alpn_free(verify) if isinstance(verify, bool) else _new_context(verify)
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


def _alpn_free(verify: bool) -> ssl.SSLContext:
    if verify:
        import certifi  # an httpx dependency

        return ssl.create_default_context(cafile=certifi.where())
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@functools.cache
def _context_for_ca(path: str) -> ssl.SSLContext:
    # One per CA bundle and process, like the default: it holds no per-client state.
    return _new_context(path)


def _new_context(path: str | os.PathLike[str]) -> ssl.SSLContext:
    where = os.fspath(path)
    if os.path.isdir(where):
        return ssl.create_default_context(capath=where)
    if not os.path.isfile(where):
        raise ValueError(
            f"DefaultHttpClient(verify={where!r}): no CA bundle there; give a PEM file or a "
            "directory of certificates, True for certifi's bundle, or an ssl.SSLContext"
        )
    return ssl.create_default_context(cafile=where)


def _load_cert(context: ssl.SSLContext, cert: CertTypes) -> None:
    if isinstance(cert, str):
        context.load_cert_chain(cert)
    elif len(cert) == 2:
        context.load_cert_chain(cert[0], cert[1])
    else:
        context.load_cert_chain(cert[0], cert[1], password=cert[2])
