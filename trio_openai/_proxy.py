"""Which proxy a request goes through: proxy URLs, the environment, NO_PROXY (pure).

No trio, no httpx: the transport (``_pool.py``, ``_connect.py``) asks `ProxyRouter.route`
for each new connection and speaks to the proxy itself. The rules follow httpx's (and
curl's) so that a proxy set up for openai-python works unchanged:

- ``proxy=`` given explicitly applies to every request, NO_PROXY included.
- Otherwise, when the environment is trusted: HTTPS_PROXY for https URLs, HTTP_PROXY for
  http ones, ALL_PROXY for both when the specific one is unset (lower-case names win, as
  in urllib). A value without a scheme is an http:// proxy.
- NO_PROXY is a comma-separated list: ``*`` (no proxy at all), host names (which cover
  their subdomains; a leading ``.`` or ``*.`` is the same), ``host:port``, IP addresses
  and CIDR networks (``10.0.0.0/8``).

Credentials in a proxy URL become a ``Proxy-Authorization: Basic`` header; they never
appear in a repr or an error message.
"""

from __future__ import annotations

import base64
import ipaddress
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Final

import attrs

__all__ = ["Proxy", "ProxyRouter", "parse_proxy_url"]

_PROXY_PORTS: Final = {"http": 80, "https": 443}


@attrs.frozen
class Proxy:
    """An HTTP proxy: where to connect, and the Proxy-Authorization value if any."""

    scheme: str  # "http" (plain TCP to the proxy) or "https" (TLS to the proxy)
    host: str
    port: int
    authorization: bytes | None = attrs.field(default=None, repr=False)


def parse_proxy_url(url: str, *, source: str = "proxy") -> Proxy:
    """A `Proxy` from ``http://[user:password@]host[:port]`` (or https://).

    Raises ValueError naming ``source`` (the argument or variable it came from) for a
    scheme the transport does not speak (socks5...) or a URL without a host.
    """
    text = url.strip()
    if "://" not in text:
        text = "http://" + text  # as httpx and curl read HTTP_PROXY=host:port
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _PROXY_PORTS:
        raise ValueError(
            f"{source}: unsupported proxy scheme {scheme!r} (trio_openai speaks to http:// "
            "and https:// proxies; for SOCKS pass your own httpx.AsyncClient as http_client)"
        )
    try:
        port = parts.port or _PROXY_PORTS[scheme]
    except ValueError:
        raise ValueError(f"{source}: invalid port in the proxy URL") from None
    host = parts.hostname
    if not host:
        raise ValueError(f"{source}: no host in the proxy URL")
    authorization = None
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode())
        authorization = b"Basic " + token
    return Proxy(scheme, host, port, authorization)


class ProxyRouter:
    """Chooses the proxy of each (scheme, host, port), or None to connect directly."""

    __slots__ = ("_by_scheme", "_bypass_all", "_cache", "_domains", "_networks")

    def __init__(self, by_scheme: Mapping[str, Proxy | None], no_proxy: str | None = None) -> None:
        self._by_scheme = dict(by_scheme)
        self._bypass_all = False
        self._domains: list[tuple[str, int | None]] = []
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self._cache: dict[tuple[str, str, int], Proxy | None] = {}
        for entry in (no_proxy or "").split(","):
            self._add_bypass(entry.strip().lower())

    @classmethod
    def from_url(cls, url: str) -> ProxyRouter:
        """Every request through the proxy at `url` (the ``proxy=`` argument)."""
        proxy = parse_proxy_url(url, source="proxy=")
        return cls({"http": proxy, "https": proxy})

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> ProxyRouter | None:
        """The proxies the environment asks for; None when it asks for none."""
        found = _proxy_variables(env)
        fallback = found.get("all")
        by_scheme: dict[str, Proxy | None] = {}
        for scheme in ("http", "https"):
            url = found.get(scheme) or fallback
            name = f"{scheme.upper()}_PROXY" if found.get(scheme) else "ALL_PROXY"
            by_scheme[scheme] = parse_proxy_url(url, source=name) if url else None
        if not any(by_scheme.values()):
            return None
        return cls(by_scheme, found.get("no"))

    def route(self, scheme: str, host: str, port: int) -> Proxy | None:
        key = (scheme, host, port)
        try:
            return self._cache[key]
        except KeyError:
            pass
        proxy = self._by_scheme.get(scheme)
        if proxy is not None and self._bypassed(host.lower(), port):
            proxy = None
        if len(self._cache) < 4096:  # bounded however many hosts a process talks to
            self._cache[key] = proxy
        return proxy

    def _add_bypass(self, entry: str) -> None:
        if not entry:
            return
        if entry == "*":
            self._bypass_all = True
            return
        if "://" in entry:
            entry = entry.split("://", 1)[1]
        try:
            self._networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            return
        except ValueError:
            pass
        port: int | None = None
        host, sep, maybe_port = entry.rpartition(":")
        if sep and maybe_port.isdigit() and "]" not in maybe_port:
            port = int(maybe_port)
        else:
            host = entry
        host = host.strip("[]").removeprefix("*").removeprefix(".")
        try:
            self._networks.append(ipaddress.ip_network(host, strict=False))
            # an address with a port: kept as a name so that the port is compared too
            if port is None:
                return
            self._networks.pop()
        except ValueError:
            pass
        self._domains.append((host, port))

    def _bypassed(self, host: str, port: int) -> bool:
        if self._bypass_all:
            return True
        host = host.strip("[]")
        if self._networks:
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                pass
            else:
                if any(address in network for network in self._networks):
                    return True
        for domain, only_port in self._domains:
            if only_port is not None and only_port != port:
                continue
            if host == domain or host.endswith("." + domain):
                return True
        return False


def _proxy_variables(env: Mapping[str, str] | None) -> dict[str, str]:
    """scheme ("http", "https", "all", "no") -> value, as urllib reads the environment."""
    if env is None:
        return urllib.request.getproxies_environment()
    found: dict[str, str] = {}
    for name, value in env.items():  # upper-case first, lower-case overrides
        if value and name.lower().endswith("_proxy") and name.isupper():
            found[name[:-6].lower()] = value
    for name, value in env.items():
        if value and name.lower().endswith("_proxy") and name.islower():
            found[name[:-6]] = value
    return found
