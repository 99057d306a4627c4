"""Hugging Face and its mirrors as they really answer (issue 21 points 8-18, issue 17 point 16 for the HF
adapter): recorded real responses (tests/fixtures/real/hf) fed to the adapter directly, a bounded fuzz of the
recorded tree JSON, and one end-to-end `hubctl pull` process per point against the loopback hub in its
default (huggingface.co-like) mode or a mirror mode, asserting exit code, stderr and the hub's request log."""

from __future__ import annotations

import copy
import http.client
import json
import random
import re
import time
import urllib.request
from email.message import Message
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from pulltools import REPO_FILES, cli, sha256

from hubctl.download.auth import credentials
from hubctl.download.http import (
    HttpError,
    RateLimited,
    Response,
    TransientError,
    check_status,
    rate_limit,
    retry_after,
)
from hubctl.download.sources.api import hub_error
from hubctl.download.sources.base import RemoteFile
from hubctl.download.sources.hf import next_page, parse_tree
from hubctl.download.transfer import _signed_lifetime
from hubctl.errors import ExitCode, IntegrityError
from hubctl.server import Fault, HubServer, RepoStore

FIXTURES = Path(__file__).parent / "fixtures" / "real" / "hf"
RESPONSES = json.loads((FIXTURES / "responses.json").read_text())
TREE = json.loads((FIXTURES / "tree_adetailer.json").read_text())
DATASET_PAGE = json.loads((FIXTURES / "tree_dataset_page.json").read_text())
BIG = "big/shard.bin"  # 9 MiB: nine 1 MiB pieces under pulltools.FAST_ENV


def headers_of(name: str) -> Message:
    message = Message()
    for key, value in RESPONSES[name]["headers"].items():
        message[key] = value
    return message


class _DoneBody:
    """The raw side of a Response whose body was already read: what check_status needs to classify it."""

    chunked, length, fp = False, 0, None

    def readinto(self, buffer) -> int:
        return 0

    def isclosed(self) -> bool:
        return True


def recorded_response(name: str) -> Response:
    item = RESPONSES[name]
    return Response(item["status"], headers_of(name), item["url"], _DoneBody(), lambda reusable: None)


# --- recorded responses fed to the adapter -----------------------------------------------------------------


def test_recorded_tree_entry_gives_the_lfs_sha256_not_the_pointer_oid_nor_the_xet_hash():
    [entry] = parse_tree(TREE, "fixture")
    assert entry == RemoteFile("face_yolov8n.pt", 6230011, TREE[0]["lfs"]["oid"], None, True)
    files = parse_tree(DATASET_PAGE, "fixture")
    assert [f.sha256 for f in files] == [e["lfs"]["oid"] for e in DATASET_PAGE]
    assert all(f.git_sha1 is None and f.sha256 != e["xetHash"] for f, e in zip(files, DATASET_PAGE))


def test_xet_only_entry_defers_its_hash_to_the_resolve_answer():
    xet_only = {k: v for k, v in TREE[0].items() if k != "lfs"}
    [entry] = parse_tree([xet_only], "fixture")
    assert (entry.sha256, entry.git_sha1, entry.lfs) == (None, None, True)  # never the pointer's oid as a content hash


def test_recorded_401_repo_not_found_is_not_found_with_a_token_hint():
    headers = headers_of("missing_repo_anonymous")
    url = RESPONSES["missing_repo_anonymous"]["url"]
    err = HttpError(401, url, headers["X-Error-Code"], headers["X-Error-Message"], authorized=False)
    anonymous = hub_error(err, "repo zzznotanowner9f3/zzznotarepo9f3", "https://huggingface.co")
    assert anonymous.exit_code == ExitCode.NOT_FOUND
    assert "private/gated" in anonymous.message and "token" in anonymous.message
    err.authorized = True
    assert hub_error(err, "repo", "https://huggingface.co").exit_code == ExitCode.NOT_FOUND
    gated = HttpError(401, url, "GatedRepo", "Access restricted", authorized=True)
    assert hub_error(gated, "repo", "https://huggingface.co").exit_code == ExitCode.AUTH
    for status in (400, 410, 451):
        assert hub_error(HttpError(status, url, "", ""), "repo", "h").exit_code == ExitCode.NETWORK


def test_recorded_ratelimit_headers_are_read_but_only_a_429_with_r0_waits():
    assert rate_limit(headers_of("api_ratelimit")) == (497, 168)
    assert retry_after(headers_of("api_ratelimit")) is None
    with pytest.raises(RateLimited) as limited:
        check_status(recorded_response("resolver_429"))
    assert limited.value.retry_after == 201  # t + 1, as huggingface_hub sleeps
    with pytest.raises(TransientError) as transient:
        check_status(recorded_response("server_error_with_ratelimit"))
    assert not isinstance(transient.value, RateLimited) and transient.value.retry_after is None  # plain backoff


def test_recorded_next_links_stay_on_the_endpoint():
    hub_link = RESPONSES["hub_next_link"]["headers"]["link"]
    current = RESPONSES["hub_next_link"]["url"]
    target = hub_link[1 : hub_link.index(">")]
    assert next_page(hub_link, current, "https://huggingface.co", "list") == target
    mirror_link = RESPONSES["mirror_next_link"]["headers"]["link"]
    rebased = next_page(mirror_link, RESPONSES["mirror_next_link"]["url"], "https://hf-mirror.com", "list")
    parts = urlsplit(rebased)
    assert parts.netloc == "hf-mirror.com" and parts.path == "/api/datasets/HuggingFaceFW/fineweb/tree/main"
    assert "cursor=" in parts.query
    assert next_page('</api/x?cursor=2>; rel="next"', "https://hf-mirror.com/api/x", "https://hf-mirror.com", "l") == (
        "https://hf-mirror.com/api/x?cursor=2"
    )
    assert next_page(None, current, "https://huggingface.co", "list") is None
    with pytest.raises(IntegrityError):
        next_page('<ftp://x/y>; rel="next"', current, "https://huggingface.co", "list")


def test_signed_cdn_url_lifetime_from_its_own_query():
    location = RESPONSES["mirror_lfs_redirect"]["headers"]["location"]
    fresh = re.sub(r"X-Amz-Date=\w+", "X-Amz-Date=" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), location)
    assert 3500 <= _signed_lifetime(fresh) <= 3600
    assert _signed_lifetime(location) == 0  # signed long ago: expired, so resolved again
    assert 0 < _signed_lifetime(f"https://oss.example/x?Expires={int(time.time()) + 100}") <= 100
    assert _signed_lifetime("https://cdn.example/x?X-Amz-Expires=junk") > 0  # falls back to RESOLVE_TTL


# --- bounded fuzz of the recorded tree (issue 17.16) ---------------------------------------------------------

_HOSTILE_VALUES = [
    None,
    True,
    -1,
    0,
    1.5,
    2**64,
    10**30,
    "",
    "x",
    "a" * 64,
    "A" * 64,
    "/" * 40,
    "../etc",
    "\x00",
    "\u202e",
    [],
    {},
    [[[[]]]],
    {"oid": "a" * 64},
    "e" * 40,
    6230011,
]


def _mutate(data: list, rng: random.Random) -> object:
    data = copy.deepcopy(data)
    if rng.random() < 0.05:
        return rng.choice([{}, "tree", None, 7, [data], {"entries": data}])
    entry = rng.choice(data)
    if rng.random() < 0.1:
        data[data.index(entry)] = rng.choice(_HOSTILE_VALUES)
        return data
    target = entry["lfs"] if "lfs" in entry and isinstance(entry["lfs"], dict) and rng.random() < 0.4 else entry
    key = rng.choice([*target, "extra"])
    action = rng.random()
    if action < 0.2:
        target.pop(key, None)
    elif action < 0.9:
        target[key] = rng.choice(_HOSTILE_VALUES)
    else:
        target[key] = copy.deepcopy(data)  # self-similar nesting
    return data


def _valid(remote: RemoteFile) -> bool:
    return (
        isinstance(remote.path, str)
        and bool(remote.path)
        and "\x00" not in remote.path
        and isinstance(remote.size, int)
        and not isinstance(remote.size, bool)
        and 0 <= remote.size <= 1 << 50
        and (remote.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", remote.sha256) is not None)
        and (remote.git_sha1 is None or re.fullmatch(r"[0-9a-f]{40}", remote.git_sha1) is not None)
    )


def test_fuzzed_real_tree_gives_a_typed_listing_or_exit_6():
    rng = random.Random(21)
    seeds = [TREE + DATASET_PAGE, DATASET_PAGE, TREE]
    outcomes = {"listing": 0, "refused": 0}
    deadline = time.monotonic() + 60
    for _ in range(3000):
        assert time.monotonic() < deadline
        mutated = _mutate(rng.choice(seeds), rng)
        try:
            files = parse_tree(json.loads(json.dumps(mutated)), "fuzz")
        except IntegrityError as err:
            assert err.exit_code == ExitCode.INTEGRITY and "\n" not in err.message
            outcomes["refused"] += 1
        else:
            assert all(_valid(f) for f in files), files
            outcomes["listing"] += 1
    assert outcomes["listing"] > 100 and outcomes["refused"] > 100  # both paths really exercised


# --- end to end: hubctl pull as a process against the loopback hub -----------------------------------------


@pytest.fixture(scope="module")
def store():
    s = RepoStore()
    s.add_files("acme/tiny", REPO_FILES)
    s.add_files("acme/gated", {"a.txt": b"x"})
    s.set_gated("acme/gated")
    s.add_files("acme/odd", {"model.safetensors": b"weights" * 100, "docs\\x.txt": b"a windows-style name"})
    yield s
    s.close()


@pytest.fixture
def hub(store):
    with HubServer(store) as srv:
        yield srv


def pull(hub: HubServer, dest: Path, *extra: str, repo: str = "acme/tiny", env: dict | None = None, endpoint=True):
    where = ("--endpoint", hub.endpoint) if endpoint else ()
    return cli("pull", f"hf:{repo}", *where, "--dest", str(dest), "--quiet", *extra, env=env, timeout=120)


def resolves(hub: HubServer, path: str) -> list:
    suffix = "/" + quote(path)
    return [
        r for r in hub.log() if r.origin == "api" and "/resolve/" in r.path and r.path.split("?")[0].endswith(suffix)
    ]


def cdn_gets(hub: HubServer, path: str) -> list:
    return [r for r in hub.log() if r.origin == "cdn" and r.method == "GET" and f"X-Hub-File={quote(path)}" in r.path]


def error_line(result) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hubctl: error: "), result.stderr
    return lines[0]


def assert_pulled(result, dest: Path, files=REPO_FILES) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for path, data in files.items():
        assert (dest / path).read_bytes() == data, path


def test_8_resolve_once_per_file_and_reuse_the_cdn_url_for_every_piece(hub, tmp_path):
    result = pull(hub, tmp_path / "m")
    assert_pulled(result, tmp_path / "m")
    assert len(cdn_gets(hub, BIG)) == 9  # nine 1 MiB pieces ...
    assert len(resolves(hub, BIG)) <= 2  # ... behind at most two resolves (was one per piece)
    for path in REPO_FILES:
        assert len(resolves(hub, path)) == 1, path


def test_8_hub_sends_rate_limit_headers_on_every_hf_answer(hub):
    for url in (f"{hub.endpoint}/api/models/acme/tiny", f"{hub.endpoint}/api/models/acme/nope"):
        try:
            headers = urllib.request.urlopen(url, timeout=10).headers
        except urllib.error.HTTPError as err:
            headers = err.headers
        assert re.fullmatch(r'"api";r=\d+;t=\d+', headers["RateLimit"])
        assert headers["RateLimit-Policy"].startswith('"fixed window";"api";q=')
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
    conn.request("HEAD", f"/acme/tiny/resolve/main/{BIG}")
    response = conn.getresponse()
    assert response.getheader("RateLimit").startswith('"resolvers";r=')
    conn.close()


def test_9_spent_resolver_budget_is_waited_out_with_a_message(hub, tmp_path):
    hub.hf.resolver_budget, hub.hf.window = 3, 2.0
    started = time.monotonic()
    result = pull(hub, tmp_path / "m", "--workers", "2")
    assert_pulled(result, tmp_path / "m")
    assert "rate limit reached; waiting" in result.stderr
    assert any(r.status == 429 for r in hub.log())
    assert time.monotonic() - started < 90


def test_9_a_wait_longer_than_allowed_fails_with_exit_5(hub, tmp_path):
    hub.add_fault(
        Fault("status", match="/resolve/", status=429, times=-1, headers={"RateLimit": '"resolvers";r=0;t=200'})
    )
    started = time.monotonic()
    result = pull(hub, tmp_path / "m", "--include", "config.json", env={"HUBCTL_RATE_LIMIT_WAIT_MAX": "5"})
    assert result.returncode == ExitCode.NETWORK
    assert "asks to wait" in error_line(result)
    assert time.monotonic() - started < 30


def test_9_a_503_carrying_ratelimit_is_an_ordinary_retry(hub, tmp_path):
    hub.add_fault(
        Fault("status", match="/resolve/", status=503, times=1, headers={"RateLimit": '"resolvers";r=2950;t=250'})
    )
    started = time.monotonic()
    result = pull(hub, tmp_path / "m", "--include", "config.json")
    assert_pulled(result, tmp_path / "m", {"config.json": REPO_FILES["config.json"]})
    assert "rate limit" not in result.stderr
    assert [r.status for r in resolves(hub, "config.json")] == [503, 206]  # ranged: bytes=0-
    assert time.monotonic() - started < 30  # backoff, not t=250


@pytest.mark.parametrize("value", ["1.5", "soon", "-5"])
def test_10_any_retry_after_value_is_survived(hub, tmp_path, value):
    hub.add_fault(Fault("status", match="/resolve/", status=503, times=1, retry_after=value))
    result = pull(hub, tmp_path / "m", "--include", "config.json")
    assert_pulled(result, tmp_path / "m", {"config.json": REPO_FILES["config.json"]})


def test_11_every_body_request_is_ranged_so_a_cdn_refusing_unranged_gets_serves(hub, tmp_path):
    hub.hf.cdn_unranged_limit = 1 << 20
    result = pull(hub, tmp_path / "m", "--connections", "1")
    assert_pulled(result, tmp_path / "m")
    gets = [r for r in hub.log() if r.origin == "cdn" and r.method == "GET"]
    assert gets and all(r.range and r.range.startswith("bytes=") for r in gets)
    assert all(r.status == 206 for r in gets)
    big = [r for r in gets if "X-Hub-File=big" in r.path]
    assert [r.range for r in big] == ["bytes=0-"]  # one fresh stream, one resolve


def test_11_the_emulated_cdn_refuses_an_unranged_get_of_a_large_object(hub):
    hub.hf.cdn_unranged_limit = 1 << 20
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
    conn.request("HEAD", f"/acme/tiny/resolve/main/{BIG}")
    location = conn.getresponse().getheader("Location")
    conn.close()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(location, timeout=10)
    assert refused.value.code == 400
    ranged = urllib.request.Request(location, headers={"Range": "bytes=0-9"})
    assert urllib.request.urlopen(ranged, timeout=10).status == 206


def test_11_a_cdn_4xx_is_a_network_failure_with_its_reason_not_a_token_problem(hub, tmp_path):
    hub.add_fault(Fault("status", match="/cdn/", status=403, times=-1))
    result = pull(hub, tmp_path / "m", "--include", "model.safetensors")
    assert result.returncode == ExitCode.NETWORK
    line = error_line(result)
    assert "HTTP 403" in line and "storage" in line and "token" not in line
    assert len(resolves(hub, "model.safetensors")) <= 2 * 3  # re-resolved at most once per attempt
    assert not (tmp_path / "m" / "model.safetensors").exists()


def test_12_unknown_repo_is_exit_3_with_a_token_hint_and_gated_is_exit_4(hub, tmp_path):
    result = pull(hub, tmp_path / "a", repo="acme/nope")
    assert result.returncode == ExitCode.NOT_FOUND
    line = error_line(result)
    assert "RepoNotFound" in line and "private/gated" in line
    assert [r.status for r in hub.log() if r.origin == "api"] == [401]  # the hub's default: 401 to anonymous
    result = pull(hub, tmp_path / "b", repo="acme/gated")
    assert result.returncode == ExitCode.AUTH
    assert "GatedRepo" in error_line(result)


@pytest.mark.parametrize("style", ["foreign", "relative"])
def test_13_mirror_next_links_are_rebased_onto_the_endpoint(hub, tmp_path, style):
    hub.hf.link_style, hub.hf.tree_page_size = style, 2
    result = pull(hub, tmp_path / "m")
    assert_pulled(result, tmp_path / "m")
    pages = [r for r in hub.log() if "/tree/" in r.path]
    assert len(pages) >= 5 and all(r.origin == "api" and r.status == 200 for r in pages)


def test_13_the_emulated_mirror_points_its_link_at_huggingface_co(hub):
    hub.hf.link_style, hub.hf.tree_page_size = "foreign", 2
    with urllib.request.urlopen(f"{hub.endpoint}/api/models/acme/tiny/tree/main?recursive=true", timeout=10) as r:
        assert r.headers["Link"].startswith("<https://huggingface.co/api/models/acme/tiny/tree/main?")


def test_14_the_hf_token_goes_to_the_endpoint_and_the_official_hub_origins_only():
    hub_origins = {"https://huggingface.co:443", "https://hf.co:443"}
    assert set(credentials("hf", "hf_tok", ["https://hf-mirror.com"])) == hub_origins  # a mirror only with --token-to
    given = credentials("hf", "hf_tok", ["https://hf-mirror.com"], token_to=("https://hf-mirror.com",))
    assert set(given) == hub_origins | {"https://hf-mirror.com:443"}
    assert "https://hf-mirror.com:443" not in credentials("modelscope", "ms_tok", ["https://hf-mirror.com"])
    assert credentials("hf", None, ["https://hf-mirror.com"]) == {}


def test_15_hf_endpoint_with_a_trailing_slash_sends_the_same_requests(hub, tmp_path):
    paths = []
    for i, endpoint in enumerate((hub.endpoint, hub.endpoint + "/")):
        hub.reset_log()
        result = pull(hub, tmp_path / str(i), "--include", "config.json", endpoint=False, env={"HF_ENDPOINT": endpoint})
        assert result.returncode == 0, result.stderr
        paths.append([r.path for r in hub.log()])
    assert paths[0] == paths[1] and not any(p.startswith("//") for p in paths[1])


def test_16_xet_only_entry_takes_its_sha256_from_x_linked_etag(hub, tmp_path):
    hub.hf.xet_only = frozenset({"sub/dir/weights.bin"})
    listed = json.loads(urllib.request.urlopen(f"{hub.endpoint}/api/models/acme/tiny/tree/main?recursive=true").read())
    entry = next(e for e in listed if e["path"] == "sub/dir/weights.bin")
    assert "lfs" not in entry and "xetHash" in entry
    result = pull(hub, tmp_path / "m", "--include", "sub/dir/weights.bin", "--json")
    assert result.returncode == 0, result.stderr
    [file] = json.loads(result.stdout)["files"]
    assert file["sha256"] == sha256(REPO_FILES["sub/dir/weights.bin"])
    assert len(resolves(hub, "sub/dir/weights.bin")) == 1  # the hash probe's resolve is reused for the body


def test_16_xet_only_entry_without_a_linked_etag_is_a_clear_exit_6(tmp_path):
    from hostilehub import REPO, SHA, HostileServer, json_answer, raw

    data = b"xet bytes\n"
    entry = {"type": "file", "oid": "e" * 40, "size": len(data), "xetHash": "d" * 64, "path": "w.bin"}
    with HostileServer() as srv:
        srv.scripts[f"/api/models/{REPO}/tree/"] = lambda h: h.send_raw(json_answer([entry]))
        srv.scripts[f"/{REPO}/resolve/{SHA}/w.bin"] = lambda h: h.send_raw(raw("200 OK", [], data))
        result = cli(
            "pull", f"hf:{REPO}", "--endpoint", srv.endpoint, "--dest", str(tmp_path / "m"), "--quiet", timeout=60
        )
    assert result.returncode == ExitCode.INTEGRITY
    assert "Xet-only" in error_line(result) and "X-Linked-Etag" in result.stderr
    assert not (tmp_path / "m" / "w.bin").exists()


def test_17_path_safety_applies_to_the_selected_files_only(hub, tmp_path):
    result = pull(hub, tmp_path / "m", "--include", "*.safetensors", repo="acme/odd")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m" / "model.safetensors").read_bytes() == b"weights" * 100
    refused = pull(hub, tmp_path / "n", repo="acme/odd")
    assert refused.returncode not in (0, 1) and "backslash" in error_line(refused)


def test_18_a_gzip_body_despite_identity_is_reported_as_such(hub, tmp_path):
    hub.add_fault(Fault("gzip", match="config.json", times=-1))
    result = pull(hub, tmp_path / "m", "--include", "config.json")
    assert result.returncode == ExitCode.INTEGRITY
    assert "Content-Encoding: 'gzip'" in error_line(result)
    assert not (tmp_path / "m" / "config.json").exists()
    assert all(r.accept_encoding == "identity" for r in hub.log())
