"""hubctl chat --serve: the OpenAI-compatible API on the real SmolLM2 fixture, driven by the official client.

One verified copy of the fixture is loaded once per module and served in-process on a free loopback port;
each test's waits are bounded (client timeouts, polling deadlines), generously, because CI machines are shared.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from servetools import load_verified, locked_copy, running

from hubctl.chat.api import ApiError
from hubctl.chat.gate import Gate
from hubctl.chat.server import check_exposure
from hubctl.chat.stops import StopScanner
from hubctl.errors import UsageError
from hubctl.model.conversation import Conversation, fit

openai = pytest.importorskip("openai", reason="the openai client is needed (pip install openai)")

CLIENT_TIMEOUT = 240.0  # one short reply on a heavily shared 2-core machine
PARIS = [{"role": "user", "content": "What is the capital of France?"}]
COUNTING = [{"role": "user", "content": "Count from 1 to 1000, one number per line, and do not stop."}]
PAGE = Path(__file__).resolve().parents[1] / "hubctl" / "chat" / "static" / "index.html"


# ---- pieces that need no model ----


@pytest.mark.parametrize(
    "pieces, stops, sent",
    [
        (["The capital is Par", "is, of course."], ("Paris",), "The capital is "),
        (["a<", "|e", "nd|>b"], ("<|end|>",), "a"),
        (["no stop ", "here <", "|"], ("<|end|>",), "no stop here <|"),
        (["xy", "z"], ("yz", "q"), "x"),
    ],
)
def test_stop_sequences_are_cut_even_across_pieces(pieces, stops, sent):
    scanner = StopScanner(stops)
    out = "".join(scanner.feed(p) for p in pieces) + scanner.finish()
    assert out == sent
    assert scanner.hit == (sent != "".join(pieces))


def test_gate_refuses_beyond_the_queue_and_bounds_the_wait():
    gate = Gate(queue=1, timeout=3)
    results = []
    with gate.turn():
        waiter = threading.Thread(target=lambda: results.append(_try_turn(gate)))
        waiter.start()
        deadline = time.monotonic() + 10
        while gate.waiting == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _try_turn(gate) == 429
        waiter.join(10)
    assert results == [503]  # the waiter gave up after its timeout rather than waiting forever
    with gate.turn():  # and the gate is free again
        assert gate.busy


def _try_turn(gate: Gate) -> int:
    try:
        with gate.turn():
            return 200
    except ApiError as err:
        return err.status


def test_listening_beyond_loopback_needs_an_api_key():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_exposure(host, None)
    check_exposure("0.0.0.0", "k3y")
    with pytest.raises(UsageError, match="--api-key"):
        check_exposure("0.0.0.0", None)
    with pytest.raises(UsageError, match="empty"):
        check_exposure("127.0.0.1", " ")


def test_cli_refuses_a_public_host_without_a_key_before_loading_anything(tmp_path):
    # an empty folder: had the model been loaded first, the error would be about the missing config.json
    result = subprocess.run(
        [sys.executable, "-m", "hubctl", "chat", str(tmp_path), "--serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HUBCTL_API_KEY": ""},
    )
    assert result.returncode == 2, result.stderr
    assert "--api-key" in result.stderr and "Traceback" not in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "hubctl", "chat", str(tmp_path), "--serve", "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "pick one" in result.stderr, result.stderr


def test_the_page_puts_model_text_in_the_dom_as_text_only():
    html = PAGE.read_text()
    assert "innerHTML" not in html and "outerHTML" not in html and "insertAdjacentHTML" not in html
    assert "http://" not in html and "https://" not in html  # no CDN, nothing fetched from elsewhere


def test_a_missing_page_file_leaves_the_api_serving(monkeypatch, tmp_path):
    from hubctl.chat import server as server_module

    monkeypatch.setattr(server_module, "PAGE", tmp_path / "absent.html")
    logs: list[str] = []
    assert server_module.read_page(logs.append) == server_module.MISSING_PAGE
    assert len(logs) == 1 and "WARNING" in logs[0] and "API still works" in logs[0]


# ---- the real model behind the server ----


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return load_verified(locked_copy(tmp_path_factory.mktemp("served") / "smollm2-135m-instruct"))


@pytest.fixture(scope="module")
def server(loaded):
    with running(loaded, queue=1) as srv:
        yield srv


def client(server, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "v1", api_key=key, timeout=CLIENT_TIMEOUT, max_retries=0)


def request(
    server,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = CLIENT_TIMEOUT,
) -> tuple[int, dict, dict]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        return response.status, dict(response.getheaders()), (json.loads(raw) if raw.startswith(b"{") else {})
    finally:
        conn.close()


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.real_model
def test_models_lists_the_served_model_with_its_manifest_digest(server):
    models = client(server).models.list().data
    assert [m.id for m in models] == ["smollm2-135m-instruct"]
    info = models[0].model_extra["hubctl"]
    assert info["manifest_digest"].startswith("sha256:") and info["context"] == 8192
    assert request(server, "GET", "/health")[:1] == (200,)


@pytest.mark.real_model
def test_a_completion_answers_paris_with_usage_and_no_trimming(server):
    reply = client(server).chat.completions.create(
        model="smollm2-135m-instruct", messages=PARIS, temperature=0, max_tokens=24
    )
    assert "Paris" in reply.choices[0].message.content
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert reply.usage.completion_tokens > 0 and reply.usage.prompt_tokens > 0
    assert reply.model_extra["hubctl"]["trimmed_messages"] == 0


@pytest.mark.real_model
def test_streaming_sends_openai_chunks_then_done(server):
    stream = client(server).chat.completions.create(
        model="smollm2-135m-instruct",
        messages=PARIS,
        temperature=0,
        max_tokens=24,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].model_extra["hubctl"]["trimmed_messages"] == 0
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Paris" in text and len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    assert chunks[-1].usage.completion_tokens > 0
    # on the wire: server-sent events ending with the [DONE] sentinel
    body = json.dumps({"messages": PARIS, "max_tokens": 4, "temperature": 0, "stream": True}).encode()
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=CLIENT_TIMEOUT)
    conn.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    raw = response.read().decode()
    conn.close()
    assert response.getheader("Content-Type").startswith("text/event-stream")
    assert raw.startswith("data: {") and raw.endswith("data: [DONE]\n\n")


@pytest.mark.real_model
def test_a_stop_sequence_ends_the_reply_before_it(server):
    reply = client(server).chat.completions.create(
        model="smollm2-135m-instruct", messages=PARIS, temperature=0, max_tokens=24, stop=["Paris"]
    )
    assert "Paris" not in reply.choices[0].message.content and reply.choices[0].finish_reason == "stop"
    assert "France" in reply.choices[0].message.content  # "The capital of France is " came through


@pytest.mark.real_model
def test_history_is_trimmed_exactly_as_the_repl_does_and_reported(loaded):
    small = dataclasses.replace(loaded, context=256)
    history = []
    for i in range(6):
        history += [
            {"role": "user", "content": f"Tell me fact number {i} about the ocean, please. " * 3},
            {"role": "assistant", "content": f"Fact {i}: the ocean is large and deep and salty. " * 3},
        ]
    messages = [{"role": "system", "content": "Be brief."}, *history, PARIS[0]]
    turns = [(history[j]["content"], history[j + 1]["content"]) for j in range(0, len(history), 2)]
    _, dropped = fit(loaded.tokenizer, Conversation(system="Be brief.", turns=turns), PARIS[0]["content"], 256, 16)
    assert dropped > 0
    with running(small) as srv:
        reply = client(srv).chat.completions.create(
            model="smollm2-135m-instruct", messages=messages, temperature=0, max_tokens=16
        )
        assert reply.model_extra["hubctl"]["trimmed_messages"] == 2 * dropped
        assert reply.usage.prompt_tokens <= 256 - 16 and reply.choices[0].message.content.strip()
        chunks = client(srv).chat.completions.create(
            model="smollm2-135m-instruct", messages=messages, temperature=0, max_tokens=4, stream=True
        )
        first = next(iter(chunks))
        assert first.model_extra["hubctl"]["trimmed_messages"] == 2 * dropped
        chunks.close()
        # a message that alone does not fit: 400 with the numbers, and no generation
        with pytest.raises(openai.BadRequestError) as info:
            client(srv).chat.completions.create(
                model="smollm2-135m-instruct", max_tokens=16, messages=[{"role": "user", "content": "word " * 400}]
            )
        error = info.value.body
        assert error["code"] == "context_length_exceeded" and "256-token context" in error["message"]
        assert "leaves 240" in error["message"]


def open_stream(server, messages: list, max_tokens: int) -> socket.socket:
    """A raw streaming request; returns the socket once the first generated text has arrived."""
    body = json.dumps({"messages": messages, "max_tokens": max_tokens, "temperature": 0, "stream": True}).encode()
    sock = socket.create_connection(server.server_address[:2], timeout=CLIENT_TIMEOUT)
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    seen = b""
    while b'"content": "' not in seen.replace(b'"content": ""', b""):
        data = sock.recv(65536)
        assert data, seen
        seen += data
    return sock


@pytest.mark.real_model
def test_a_client_that_disconnects_mid_stream_stops_its_generation(server):
    sock = open_stream(server, COUNTING, max_tokens=2000)
    closed = time.monotonic()
    sock.close()
    assert wait_for(lambda: not server.gate.busy, 120), "the generation kept the device after its client left"
    stopped_after = time.monotonic() - closed
    line = [entry for entry in server.logs if "POST /v1/chat/completions" in entry][-1]
    tokens = int(line.split()[-2])
    assert tokens < 200, line  # stopped within a few tokens of the disconnect, not at 2000
    started = time.monotonic()
    reply = client(server).chat.completions.create(
        model="smollm2-135m-instruct", messages=PARIS, temperature=0, max_tokens=8
    )
    assert reply.choices[0].message.content
    print(
        f"disconnect: device free {stopped_after:.2f} s after the close ({tokens} tokens generated); "
        f"next request served in {time.monotonic() - started:.2f} s"
    )


@pytest.mark.real_model
def test_one_generation_at_a_time_with_a_bounded_queue(server):
    running_stream = open_stream(server, COUNTING, max_tokens=2000)  # holds the device
    queued: list = []

    def wait_in_line() -> None:
        try:
            queued.append(
                client(server).chat.completions.create(
                    model="smollm2-135m-instruct", messages=PARIS, temperature=0, max_tokens=8
                )
            )
        except Exception as err:  # surfaced by the assertion below
            queued.append(err)

    waiter = threading.Thread(target=wait_in_line)
    waiter.start()
    try:
        assert wait_for(lambda: server.gate.waiting == 1, 60)
        refused_at = time.monotonic()
        with pytest.raises(openai.RateLimitError) as info:
            client(server).chat.completions.create(model="smollm2-135m-instruct", messages=PARIS, max_tokens=8)
        assert time.monotonic() - refused_at < 30  # refused at once, not after waiting
        assert info.value.body["code"] == "queue_full"
    finally:
        running_stream.close()  # frees the device: the queued request runs next
        waiter.join(CLIENT_TIMEOUT + 10)
    assert len(queued) == 1 and not isinstance(queued[0], Exception), queued
    assert queued[0].choices[0].message.content


def post(server, body: bytes | dict, **headers: str) -> tuple[int, dict]:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    status, _, payload = request(
        server, "POST", "/v1/chat/completions", raw, {"Content-Type": "application/json", **headers}
    )
    return status, payload


BAD_INPUTS = [
    ("malformed JSON", b'{"messages": [', 400, "invalid_json", None),
    ("not an object", b"[1, 2]", 400, "invalid_json", None),
    ("NaN", b'{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}', 400, "invalid_json", None),
    ("non-UTF-8", b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}', 400, "invalid_encoding", None),
    ("unknown field", {"messages": PARIS, "logprobs": True}, 400, "unsupported_parameter", "logprobs"),
    ("absurd max_tokens", {"messages": PARIS, "max_tokens": 10**12}, 400, "invalid_value", "max_tokens"),
    ("zero max_tokens", {"messages": PARIS, "max_tokens": 0}, 400, "invalid_value", "max_tokens"),
    ("max_tokens a string", {"messages": PARIS, "max_tokens": "100"}, 400, "invalid_type", "max_tokens"),
    ("temperature a string", {"messages": PARIS, "temperature": "hot"}, 400, "invalid_type", "temperature"),
    ("temperature too high", {"messages": PARIS, "temperature": 7}, 400, "invalid_value", "temperature"),
    ("stream a string", {"messages": PARIS, "stream": "yes"}, 400, "invalid_type", "stream"),
    ("seed negative", {"messages": PARIS, "seed": -1}, 400, "invalid_value", "seed"),
    ("stop a number", {"messages": PARIS, "stop": 5}, 400, "invalid_type", "stop"),
    ("no messages", {"max_tokens": 5}, 400, "invalid_value", "messages"),
    ("content a number", {"messages": [{"role": "user", "content": 5}]}, 400, "invalid_type", "messages[0].content"),
    ("a tool role", {"messages": [{"role": "tool", "content": "x"}]}, 400, "invalid_value", "messages[0].role"),
    (
        "ends with the assistant",
        {"messages": PARIS + [{"role": "assistant", "content": "Paris"}]},
        400,
        "invalid_value",
        "messages",
    ),
    ("two users in a row", {"messages": PARIS + PARIS}, 400, "invalid_value", "messages[1].role"),
    ("n=2", {"messages": PARIS, "n": 2}, 400, "unsupported_value", "n"),
    ("another model", {"model": "gpt-4o", "messages": PARIS}, 404, "model_not_found", "model"),
]


@pytest.mark.real_model
@pytest.mark.parametrize("case, body, status, code, param", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_one_clear_4xx_and_the_server_keeps_serving(server, case, body, status, code, param):
    got, payload = post(server, body)
    assert got == status, payload
    assert set(payload["error"]) == {"message", "type", "param", "code"}
    assert payload["error"]["code"] == code and payload["error"]["param"] == param
    assert payload["error"]["message"]
    assert request(server, "GET", "/health")[0] == 200


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (it answers these with Connection: close)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.real_model
def test_huge_bodies_and_bodies_without_a_length_are_refused_unread(server):
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=60) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n{" % (1 << 30))
        head = _answer(sock)
    assert head.startswith(b"HTTP/1.1 413") and b"body_too_large" in head
    with socket.create_connection((host, port), timeout=60) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        head = _answer(sock)
    assert head.startswith(b"HTTP/1.1 411")
    assert request(server, "GET", "/nowhere")[0] == 404
    assert request(server, "GET", "/health")[0] == 200


@pytest.mark.real_model
def test_an_api_key_is_required_on_the_api_when_set(loaded):
    with running(loaded, api_key="s3cret-key") as srv:
        with pytest.raises(openai.AuthenticationError):
            client(srv, "wrong").models.list()
        status, headers, payload = request(srv, "GET", "/v1/models")
        assert status == 401 and headers.get("WWW-Authenticate") == "Bearer"
        assert payload["error"]["code"] == "invalid_api_key"
        assert client(srv, "s3cret-key").models.list().data[0].model_extra["hubctl"]["auth"] is True
        assert request(srv, "GET", "/health")[0] == 200  # liveness for port-forward checks needs no key
        assert request(srv, "GET", "/")[0] == 200  # the page itself holds no secret; it asks for the key


@pytest.mark.real_model
def test_prompts_never_reach_the_log(server):
    marker = "zebra-marker-7781"
    post(server, {"messages": [{"role": "user", "content": marker}], "logprobs": 1})
    client(server).chat.completions.create(
        model="smollm2-135m-instruct", max_tokens=2, messages=[{"role": "user", "content": marker}]
    )
    assert server.logs and not any(marker in line for line in server.logs)


@pytest.mark.real_model
def test_the_page_is_served_with_a_strict_content_policy(server):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=60)
    conn.request("GET", "/")
    response = conn.getresponse()
    html = response.read().decode()
    conn.close()
    assert response.status == 200 and "<title>hubctl chat</title>" in html
    assert "default-src 'none'" in response.getheader("Content-Security-Policy")


@pytest.mark.real_model
@pytest.mark.slow
def test_hubctl_chat_serve_loads_verified_serves_and_stops_on_ctrl_c(loaded):
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hubctl",
            "chat",
            str(loaded.folder),
            "--serve",
            "--port",
            "0",
            "--dtype",
            "fp32",
            "--device",
            "cpu",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in child.stderr], daemon=True)
    reader.start()
    try:
        url, deadline, seen = None, time.monotonic() + 300, []
        while url is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                assert child.poll() is None, "".join(seen)
                continue
            seen.append(line)
            if "serving" in line:
                url = line.split(" at ")[1].split()[0]
        assert url, "".join(seen)
        host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
        assert host == "127.0.0.1"
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.request("GET", "/v1/models")
        models = json.loads(conn.getresponse().read())
        conn.close()
        assert models["data"][0]["hubctl"]["manifest_digest"].startswith("sha256:")
        child.send_signal(signal.SIGINT)
        assert child.wait(60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    reader.join(30)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert any("server stopped" in line for line in rest), seen + rest
    assert "Traceback" not in "".join(seen + rest)
