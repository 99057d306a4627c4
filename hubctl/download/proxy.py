"""Proxies and CA bundles from the environment, decided per URL the way curl and requests decide them.

Invariant: the decision is a pure function of (URL, environment), so every rule is tested without a network:
- `{scheme}_proxy`, then `{SCHEME}_PROXY` (upper-case `HTTP_PROXY` is ignored under CGI, where a request header
  can set it: httpoxy), then `all_proxy` / `ALL_PROXY`; an empty value counts as unset.
- A proxy URL without a scheme is `http://`; without a port, the scheme's default port (80), as requests does.
  `user:password@` becomes `Proxy-Authorization: Basic` on the CONNECT of an https URL and on every request of
  an http URL (absolute-form). Only http:// proxies are spoken: https:// and SOCKS proxies are a usage error,
  never a silent direct connection.
- `no_proxy` / `NO_PROXY`: `*`, host names matching as domain suffixes (`example.com` and `.example.com` both
  cover `a.example.com`), IP addresses, CIDR blocks (v4 and v6), and any of these with `:port`.
- CA bundles: every one of `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, `SSL_CERT_FILE` (files; a directory is taken
  as a hashed CA directory, as requests does) and `SSL_CERT_DIR` that is set is loaded, and then only they are
  trusted (as with curl and requests, a bundle replaces the system store); a path that does not exist is a
  usage error naming the variable.

Proxy credentials never appear in a message: `Proxy.__repr__` and `describe()` drop them. A proxy's 407 (on the
CONNECT or on a forwarded request) is an AuthError (exit 4) naming the variable, not a retried network failure.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from hubctl.errors import AuthError, UsageError

_DEFAULT_PORTS = {"http": 80, "https": 443}
_CA_FILES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


@dataclass(frozen=True)
class Proxy:
    """An http:// proxy; `authorization` is the `Proxy-Authorization` value, or None without credentials."""

    host: str
    port: int
    authorization: str | None = field(default=None, repr=False)
    source: str = ""  # the environment variable it came from, for messages

    def headers(self) -> dict[str, str]:
        return {"Proxy-Authorization": self.authorization} if self.authorization else {}

    def describe(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port} (from {self.source})"


def _env(environ: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """(variable, value) of the first non-empty spelling of `name`: lower case first, as curl and requests."""
    spellings = [name.lower(), name.upper()]
    if name.lower() == "http_proxy" and "REQUEST_METHOD" in environ:
        spellings.remove("HTTP_PROXY")  # httpoxy: under CGI a client's `Proxy:` header becomes HTTP_PROXY
    for spelling in spellings:
        value = environ.get(spelling, "").strip()
        if value:
            return spelling, value
    return None


def parse_proxy(value: str, source: str) -> Proxy:
    """A proxy URL from the environment, or UsageError saying what is wrong with it (never its password)."""
    text = value if "://" in value else f"http://{value}"
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise UsageError(f"{source}: not a proxy URL (expected http://[user:password@]host[:port])") from None
    if parts.scheme.lower() != "http":
        raise UsageError(f"{source}: {parts.scheme}:// proxies are not supported; use an http:// proxy URL")
    if not host:
        raise UsageError(f"{source}: the proxy URL has no host")
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return Proxy(host, port or _DEFAULT_PORTS["http"], authorization, source)


def _no_proxy_entry_matches(entry: str, host: str, port: int) -> bool:
    entry = entry.strip().lower()
    if not entry:
        return False
    if entry == "*":
        return True
    want_port: int | None = None
    if entry.startswith("["):  # [v6] or [v6]:port
        address, _, rest = entry[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            want_port = int(rest[1:])
        entry = address
    elif entry.count(":") == 1:  # name:port or v4:port (a bare v6 address has several colons)
        name, _, port_text = entry.partition(":")
        if port_text.isdigit():
            entry, want_port = name, int(port_text)
    if want_port is not None and want_port != port:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if "/" in entry:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return False
        return address is not None and address.version == network.version and address in network
    if address is not None:
        try:
            return address == ipaddress.ip_address(entry)
        except ValueError:
            return False
    domain = entry.removeprefix("*").removeprefix(".").rstrip(".")
    return bool(domain) and (host == domain or host.endswith("." + domain))


def bypasses(host: str, port: int, no_proxy: str) -> bool:
    """True if `host:port` is excluded from proxying by a NO_PROXY value (comma or space separated)."""
    host = host.lower().rstrip(".").strip("[]")
    return any(_no_proxy_entry_matches(e, host, port) for e in no_proxy.replace(" ", ",").split(","))


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> Proxy | None:
    """The proxy to reach `url` through, or None for a direct connection."""
    env = os.environ if environ is None else environ
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    port = parts.port or _DEFAULT_PORTS[scheme]
    no_proxy = _env(env, "no_proxy")
    if no_proxy and bypasses(parts.hostname, port, no_proxy[1]):
        return None
    found = _env(env, f"{scheme}_proxy") or _env(env, "all_proxy")
    return parse_proxy(found[1], found[0]) if found else None


def ca_locations(environ: Mapping[str, str] | None = None) -> tuple[list[str], str | None]:
    """(CA files, CA directory) named by the environment; UsageError for one that does not exist."""
    env = os.environ if environ is None else environ
    files = []
    directory = env.get("SSL_CERT_DIR", "").strip() or None
    if directory is not None and not os.path.isdir(directory):
        raise UsageError(f"SSL_CERT_DIR={directory}: no such directory")
    for name in _CA_FILES:
        path = env.get(name, "").strip()
        if not path:
            continue
        if os.path.isdir(path) and directory is None:  # requests accepts a c_rehash'ed directory here too
            directory = path
        elif not os.path.isfile(path):
            raise UsageError(f"{name}={path}: no such CA bundle file")
        elif path not in files:
            files.append(path)
    return files, directory


def ssl_context(environ: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """A verifying TLS context: the environment's CA bundles if any is named, else the system store."""
    files, directory = ca_locations(environ)
    if not files and directory is None:
        return ssl.create_default_context()
    context = ssl.create_default_context(cafile=files[0] if files else None, capath=directory)
    for path in files[1:]:
        try:
            context.load_verify_locations(cafile=path)
        except ssl.SSLError as err:
            raise UsageError(f"{path}: not a PEM CA bundle ({err.reason or err})") from None
    return context


def refused(proxy: Proxy) -> AuthError:
    if proxy.authorization:
        return AuthError(f"proxy {proxy.describe()} refused the credentials (HTTP 407); check user:password there")
    return AuthError(f"proxy {proxy.describe()} requires credentials (HTTP 407): set http://user:password@host:port")


class TunnelHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS through a CONNECT tunnel; the proxy's 407 becomes an AuthError instead of a bare OSError."""

    def __init__(self, proxy: Proxy, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(proxy.host, proxy.port, timeout=timeout, context=context)
        self._proxy = proxy

    def connect(self) -> None:
        try:
            super().connect()
        except OSError as err:
            # http.client reports a refused CONNECT only as "Tunnel connection failed: <status> <reason>".
            if str(err).startswith("Tunnel connection failed: 407"):
                self.close()
                raise refused(self._proxy) from None
            raise


class ProxiedHTTPConnection(http.client.HTTPConnection):
    """A plain-http request through a forward proxy: absolute-form target and Proxy-Authorization on every
    request, so a kept-alive connection stays correct for the requests after the first."""

    def __init__(self, proxy: Proxy, origin_host: str, origin_port: int, timeout: float) -> None:
        super().__init__(proxy.host, proxy.port, timeout=timeout)
        self._proxy = proxy
        host = f"[{origin_host}]" if ":" in origin_host else origin_host
        self._origin = f"http://{host}" + ("" if origin_port == 80 else f":{origin_port}")

    def putrequest(self, method: str, url: str, skip_host: bool = False, skip_accept_encoding: bool = False) -> None:
        target = url if url.startswith("http://") else self._origin + url
        super().putrequest(method, target, skip_host=skip_host, skip_accept_encoding=skip_accept_encoding)
        for name, value in self._proxy.headers().items():
            self.putheader(name, value)

    def getresponse(self) -> http.client.HTTPResponse:
        response = super().getresponse()
        if response.status == 407:
            self.close()
            raise refused(self._proxy)
        return response


def connection(
    url: str, timeout: float, context: ssl.SSLContext, environ: Mapping[str, str] | None = None
) -> http.client.HTTPConnection | None:
    """A connection to `url`'s origin through the environment's proxy, or None when it is reached directly."""
    proxy = proxy_for(url, environ)
    if proxy is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or _DEFAULT_PORTS[parts.scheme.lower()]
    if parts.scheme.lower() == "https":
        conn = TunnelHTTPSConnection(proxy, timeout, context)
        conn.set_tunnel(host, port, headers=proxy.headers())
        return conn
    return ProxiedHTTPConnection(proxy, host, port, timeout)
