"""Proxies and CA bundles (issue 21 point 19): the pure decision in hubctl.download.proxy, then the wire.

The wire tests run a tiny proxy on loopback that demands `Proxy-Authorization`: a CONNECT tunnel to a TLS
server whose self-signed CA reaches hubctl only through the CA-bundle variables, and a plain-HTTP forward
proxy (absolute-form, kept alive) in front of the loopback hub for a whole `hubctl pull`. Every socket has a
timeout and every test a bound, so a proxy bug fails a test rather than hanging the suite.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pulltools import REPO_FILES, cli, tree_bytes

from hubctl.download import proxy
from hubctl.download.http import Session, TransientError
from hubctl.errors import AuthError, UsageError
from hubctl.server import HubServer, RepoStore

_TIMEOUT = 10.0
_USER, _PASSWORD = "alice", "p@ss:w/rd"  # characters that must be percent-encoded in a URL
_PROXY_URL_CREDS = "alice:p%40ss%3Aw%2Frd"
_EXPECTED_AUTH = "Basic " + base64.b64encode(f"{_USER}:{_PASSWORD}".encode()).decode()
_CLEAN = dict.fromkeys(("http_proxy", "https_proxy", "all_proxy", "no_proxy"), "") | dict.fromkeys(
    ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"), ""
)


# --- the decision: environment -> proxy per URL ----------------------------------------------------------------


def test_scheme_variable_then_all_proxy_lower_case_first() -> None:
    env = {"HTTPS_PROXY": "http://upper:3128", "https_proxy": "http://lower:3128", "ALL_PROXY": "http://all:1"}
    assert proxy.proxy_for("https://huggingface.co/x", env) == proxy.Proxy("lower", 3128, None, "https_proxy")
    assert proxy.proxy_for("http://hf-mirror.com/x", env) == proxy.Proxy("all", 1, None, "ALL_PROXY")
    assert proxy.proxy_for("http://hf-mirror.com/x", {"all_proxy": "http://a:2", "ALL_PROXY": "http://b:3"}).host == "a"
    assert proxy.proxy_for("https://huggingface.co/x", {}) is None
    assert proxy.proxy_for("https://huggingface.co/x", {"HTTPS_PROXY": "  "}) is None  # empty counts as unset


def test_default_port_is_the_proxy_schemes_and_a_bare_host_is_http() -> None:
    assert proxy.proxy_for("https://h/x", {"HTTPS_PROXY": "http://proxy.corp"}).port == 80
    assert proxy.proxy_for("https://h/x", {"HTTPS_PROXY": "proxy.corp:8888"}) == proxy.Proxy(
        "proxy.corp", 8888, None, "HTTPS_PROXY"
    )
    assert proxy.proxy_for("https://h/x", {"HTTPS_PROXY": "http://[fd00::1]:3128"}).host == "fd00::1"


def test_credentials_become_basic_proxy_authorization_and_never_show() -> None:
    found = proxy.proxy_for("https://h/x", {"HTTPS_PROXY": f"http://{_PROXY_URL_CREDS}@proxy:3128"})
    assert found.authorization == _EXPECTED_AUTH
    assert found.headers() == {"Proxy-Authorization": _EXPECTED_AUTH}
    assert _PASSWORD not in repr(found) and "w%2Frd" not in repr(found)
    assert _PASSWORD not in found.describe() and "alice" not in found.describe()
    only_user = proxy.proxy_for("http://h/x", {"HTTP_PROXY": "http://token@proxy:3128"})
    assert only_user.authorization == "Basic " + base64.b64encode(b"token:").decode()


def test_httpoxy_upper_case_http_proxy_is_ignored_under_cgi() -> None:
    env = {"HTTP_PROXY": "http://attacker:1", "REQUEST_METHOD": "GET"}
    assert proxy.proxy_for("http://h/x", env) is None
    assert proxy.proxy_for("http://h/x", {**env, "http_proxy": "http://mine:2"}).host == "mine"


@pytest.mark.parametrize(
    "value",
    [
        "socks5://proxy:1080",
        "socks5h://u:p@proxy:1080",
        "https://proxy:443",
        "http://proxy:99999",
        "http://:3128",
        "http://[fd00::1:3128",
    ],
)
def test_unsupported_or_malformed_proxies_are_a_usage_error_without_the_password(value: str) -> None:
    with pytest.raises(UsageError) as raised:
        proxy.proxy_for("https://huggingface.co/x", {"HTTPS_PROXY": value})
    assert "HTTPS_PROXY" in raised.value.message
    assert ":p@" not in raised.value.message


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "bypassed"),
    [
        ("huggingface.co", 443, "*", True),
        ("cdn.huggingface.co", 443, "huggingface.co", True),
        ("huggingface.co", 443, ".huggingface.co", True),
        ("cdn.huggingface.co", 443, "*.huggingface.co", True),
        ("nothuggingface.co", 443, "huggingface.co", False),
        ("HuggingFace.CO.", 443, "huggingface.co", True),
        ("mirror.corp", 8443, "mirror.corp:8443", True),
        ("mirror.corp", 443, "mirror.corp:8443", False),
        ("10.1.2.3", 80, "10.0.0.0/8", True),
        ("11.1.2.3", 80, "10.0.0.0/8", False),
        ("10.1.2.3", 80, "10.0.0.0/8:80", True),
        ("10.1.2.3", 81, "10.0.0.0/8:80", False),
        ("192.168.1.5", 80, "192.168.1.5", True),
        ("192.168.1.5", 81, "192.168.1.5:80", False),
        ("fd00::5", 443, "fd00::/16", True),
        ("[fd00::5]", 443, "[fd00::5]:443", True),
        ("fd00::5", 443, "fd00::5", True),
        ("::1", 80, "127.0.0.0/8", False),
        ("example.com", 80, " a.com , example.com ", True),
        ("example.com", 80, "a.com example.com", True),
        ("example.com", 80, "", False),
        ("example.com", 80, ",,,", False),
        ("10.1.2.3", 80, "10.0.0.0/99,junk/8", False),
    ],
)
def test_no_proxy_rules(host: str, port: int, no_proxy: str, bypassed: bool) -> None:
    assert proxy.bypasses(host, port, no_proxy) is bypassed


def test_no_proxy_applies_before_any_proxy_variable() -> None:
    env = {"HTTPS_PROXY": "http://p:1", "ALL_PROXY": "http://q:2", "NO_PROXY": "10.0.0.0/8,.corp"}
    assert proxy.proxy_for("https://10.9.9.9/x", env) is None
    assert proxy.proxy_for("https://hub.corp:8443/x", env) is None
    assert proxy.proxy_for("https://huggingface.co/x", env).host == "p"
    assert proxy.proxy_for("https://huggingface.co/x", {**env, "no_proxy": "huggingface.co"}) is None


def test_ca_bundles_from_every_variable_and_a_missing_one_is_named(tmp_path: Path, tls: TLSFiles) -> None:
    assert proxy.ca_locations({}) == ([], None)
    env = {"REQUESTS_CA_BUNDLE": str(tls.ca), "CURL_CA_BUNDLE": str(tls.ca), "SSL_CERT_FILE": str(tls.other_ca)}
    assert proxy.ca_locations(env) == ([str(tls.ca), str(tls.other_ca)], None)
    context = proxy.ssl_context(env)
    assert len(context.get_ca_certs()) == 2 and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert proxy.ca_locations({"REQUESTS_CA_BUNDLE": str(tmp_path)}) == ([], str(tmp_path))  # a hashed directory
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        with pytest.raises(UsageError, match=name):
            proxy.ca_locations({name: str(tmp_path / "missing.pem")})
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises((UsageError, ssl.SSLError)):
        proxy.ssl_context({"SSL_CERT_FILE": str(tls.ca), "CURL_CA_BUNDLE": str(garbage)})


# --- loopback TLS and proxies ---------------------------------------------------------------------------------


class TLSFiles:
    def __init__(self, root: Path) -> None:
        self.ca, self.ca_key = root / "ca.pem", root / "ca.key"
        self.cert, self.key = root / "server.pem", root / "server.key"
        self.other_ca = root / "other-ca.pem"


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> TLSFiles:
    """A throwaway CA and a server certificate for `localhost`, made with the openssl command line."""
    files = TLSFiles(tmp_path_factory.mktemp("tls"))
    root = files.ca.parent
    for ca, key, name in ((files.ca, files.ca_key, "hubctl test CA"), (files.other_ca, root / "o.key", "other CA")):
        _openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(ca),
            "-days",
            "2",
            "-subj",
            f"/CN={name}",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        )
    csr = root / "server.csr"
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(files.key), "-out", str(csr), "-subj", "/CN=localhost"
    )
    ext = root / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(files.ca),
        "-CAkey",
        str(files.ca_key),
        "-CAcreateserial",
        "-out",
        str(files.cert),
        "-days",
        "2",
        "-extfile",
        str(ext),
    )
    return files


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "proxy_auth_seen": self.headers.get("Proxy-Authorization")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tls: TLSFiles) -> Iterator[int]:
    """An HTTPS origin on loopback whose certificate only the test CA vouches for."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert, tls.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class _ProxyHandler(socketserver.StreamRequestHandler):
    """CONNECT tunnels and absolute-form forwarding, kept alive, each request checked for credentials."""

    server: _ProxyServer

    def handle(self) -> None:
        self.connection.settimeout(_TIMEOUT)
        upstream: http.client.HTTPConnection | None = None
        for _ in range(1000):  # requests on one kept-alive client connection
            line = self.rfile.readline(65537).decode("latin-1").strip()
            if not line:
                return
            method, target, _version = line.split(" ", 2)
            headers = http.client.parse_headers(self.rfile)
            auth = headers.get("Proxy-Authorization")
            self.server.seen.append((method, target, auth))
            if auth != _EXPECTED_AUTH:
                self.wfile.write(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
                )
                continue
            if method == "CONNECT":
                self._tunnel(target)
                return
            upstream = self._forward(method, target, headers, upstream)

    def _tunnel(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        with socket.create_connection((host, int(port)), timeout=_TIMEOUT) as far:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pump = threading.Thread(target=_pump, args=(far, self.connection), daemon=True)
            pump.start()
            _pump(self.connection, far)
            pump.join(_TIMEOUT)

    def _forward(self, method: str, target: str, headers, upstream: http.client.HTTPConnection | None):
        parts = target.split("/", 3)  # http: '' host:port rest
        assert target.startswith("http://"), f"not absolute-form: {target!r}"
        host, _, port = parts[2].rpartition(":")
        if upstream is None:
            upstream = http.client.HTTPConnection(host, int(port), timeout=_TIMEOUT)
        length = int(headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        sent = {k: v for k, v in headers.items() if k.lower() not in ("proxy-authorization", "proxy-connection")}
        upstream.request(method, "/" + (parts[3] if len(parts) > 3 else ""), body=body, headers=sent)
        response = upstream.getresponse()
        data = response.read()
        out = [f"HTTP/1.1 {response.status} {response.reason}"]
        out += [f"{k}: {v}" for k, v in response.getheaders() if k.lower() not in ("content-length", "connection")]
        out.append(f"Content-Length: {len(data)}")
        self.wfile.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + (b"" if method == "HEAD" else data))
        return upstream


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen: list[tuple[str, str, str | None]] = []


@pytest.fixture
def auth_proxy() -> Iterator[_ProxyServer]:
    server = _ProxyServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _session_env(monkeypatch, env: dict[str, str]) -> None:
    for name, value in {
        **_CLEAN,
        "SSL_CERT_FILE": "",
        "REQUESTS_CA_BUNDLE": "",
        "CURL_CA_BUNDLE": "",
        "SSL_CERT_DIR": "",
        **env,
    }.items():
        monkeypatch.setenv(name, value)


def test_https_through_a_connect_proxy_that_demands_credentials(monkeypatch, tls, tls_server, auth_proxy) -> None:
    port = auth_proxy.server_address[1]
    _session_env(
        monkeypatch, {"HTTPS_PROXY": f"http://{_PROXY_URL_CREDS}@127.0.0.1:{port}", "REQUESTS_CA_BUNDLE": str(tls.ca)}
    )
    session = Session()
    for name in ("a", "b", "c"):  # the tunnel is kept alive: one CONNECT, three requests through it
        response = session.request("GET", f"https://localhost:{tls_server}/{name}")
        assert response.status == 200
        body = response.json()
        response.close()
        assert body == {"path": f"/{name}", "proxy_auth_seen": None}  # the origin never sees proxy credentials
    assert auth_proxy.seen == [("CONNECT", f"localhost:{tls_server}", _EXPECTED_AUTH)]


def test_a_connect_proxy_refusing_the_credentials_is_a_clear_failure(monkeypatch, tls, tls_server, auth_proxy):
    port = auth_proxy.server_address[1]
    _session_env(monkeypatch, {"HTTPS_PROXY": f"http://alice:wrong@127.0.0.1:{port}", "SSL_CERT_FILE": str(tls.ca)})
    with pytest.raises(AuthError) as raised:
        Session().request("GET", f"https://localhost:{tls_server}/a")
    assert "407" in raised.value.message and "HTTPS_PROXY" in raised.value.message
    assert "wrong" not in raised.value.message and len(auth_proxy.seen) == 1  # refused once, not retried


def test_without_the_ca_bundle_the_tunnelled_origin_is_not_trusted(monkeypatch, tls, tls_server, auth_proxy):
    port = auth_proxy.server_address[1]
    _session_env(
        monkeypatch, {"HTTPS_PROXY": f"http://{_PROXY_URL_CREDS}@127.0.0.1:{port}", "CURL_CA_BUNDLE": str(tls.other_ca)}
    )
    with pytest.raises(TransientError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        Session().request("GET", f"https://localhost:{tls_server}/a")


def test_no_proxy_host_goes_direct(monkeypatch, tls, tls_server, auth_proxy) -> None:
    port = auth_proxy.server_address[1]
    _session_env(
        monkeypatch,
        {
            "ALL_PROXY": f"http://{_PROXY_URL_CREDS}@127.0.0.1:{port}",
            "NO_PROXY": "localhost",
            "SSL_CERT_FILE": str(tls.ca),
        },
    )
    response = Session().request("GET", f"https://localhost:{tls_server}/direct")
    assert response.status == 200
    response.close()
    assert auth_proxy.seen == []


@pytest.fixture(scope="module")
def plain_hub() -> Iterator[HubServer]:
    store = RepoStore()
    store.add_files("acme/tiny", REPO_FILES)
    server = HubServer(store)
    try:
        yield server
    finally:
        server.stop()
        store.close()


def test_pull_through_an_authenticating_forward_proxy(tmp_path: Path, plain_hub: HubServer, auth_proxy) -> None:
    port = auth_proxy.server_address[1]
    env = {**_CLEAN, "http_proxy": f"http://{_PROXY_URL_CREDS}@127.0.0.1:{port}", "NO_PROXY": "10.0.0.0/8,.corp"}
    dest = tmp_path / "m"
    result = cli(
        "pull", "acme/tiny", "--endpoint", plain_hub.endpoint, "--dest", str(dest), "--quiet", env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert tree_bytes(dest) == REPO_FILES
    assert auth_proxy.seen and all(auth == _EXPECTED_AUTH for _, _, auth in auth_proxy.seen)
    assert all(target.startswith("http://127.0.0.1:") for _, target, _ in auth_proxy.seen)
    requests_through = len(auth_proxy.seen)
    assert requests_through >= len(REPO_FILES)  # every request went through the proxy (the listing, each file)


def test_pull_with_wrong_proxy_credentials_fails_in_one_line_without_the_password(
    tmp_path: Path, plain_hub: HubServer, auth_proxy
) -> None:
    port = auth_proxy.server_address[1]
    env = {**_CLEAN, "HTTP_PROXY": f"http://alice:hunter2@127.0.0.1:{port}"}
    result = cli(
        "pull",
        "acme/tiny",
        "--endpoint",
        plain_hub.endpoint,
        "--dest",
        str(tmp_path / "m"),
        "--quiet",
        env=env,
        timeout=120,
    )
    assert result.returncode == 4, result.stderr
    assert "HTTP_PROXY" in result.stderr and "407" in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hubctl: error:"), result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_pull_with_a_socks_proxy_is_a_usage_error(tmp_path: Path, plain_hub: HubServer) -> None:
    env = {**_CLEAN, "ALL_PROXY": "socks5://u:hunter2@127.0.0.1:1"}
    result = cli(
        "pull",
        "acme/tiny",
        "--endpoint",
        plain_hub.endpoint,
        "--dest",
        str(tmp_path / "m"),
        "--quiet",
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "ALL_PROXY" in result.stderr and "hunter2" not in result.stderr


def test_pull_with_a_missing_ca_bundle_names_the_variable(tmp_path: Path, plain_hub: HubServer) -> None:
    env = {**_CLEAN, "REQUESTS_CA_BUNDLE": str(tmp_path / "nope.pem")}
    result = cli(
        "pull",
        "acme/tiny",
        "--endpoint",
        plain_hub.endpoint,
        "--dest",
        str(tmp_path / "m"),
        "--quiet",
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "REQUESTS_CA_BUNDLE" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not os.path.exists(tmp_path / "m" / "README.md")
