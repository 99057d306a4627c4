"""ModelScope as the live hub answers (issue 21 points 1-7, issue 17 point 16), not as we would like it to.

Two halves: recorded real answers (tests/fixtures/real/modelscope) fed to the adapter through an in-process
fake session, with a bounded fuzz of the recorded listing; and one test per point end to end through
`python -m hubctl pull` as a process against the loopback hub, whose default behaviour follows the live
hub: exit code, a one-line message and the request counts from the hub's log.
"""

from __future__ import annotations

import copy
import http.client
import json
import random
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hubclients import client_env, run_client
from pulltools import cli, sha256, tree_bytes

from hubctl.download.http import TransientError
from hubctl.download.sources import ms_entries, ms_refs
from hubctl.download.sources.endpoints import normalize_endpoint
from hubctl.download.sources.modelscope import ModelScope
from hubctl.download.sources.ms_envelope import MsApi, refusal, shown
from hubctl.errors import AuthError, ExitCode, HubctlError, IntegrityError, NotFoundError
from hubctl.integrity.manifest import read_manifest
from hubctl.server import Fault, HubServer, RepoStore
from hubctl.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "real" / "modelscope"
HEAD = "83ee97c66e841048bedc5c02c15ce2f3ed259feb"
OLDER = "f194f50981eaaa6019bbec5049a4c7e1fd294110"
EP = "https://modelscope.test"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --- recorded answers through an in-process fake session ---------------------------------------------------


class FakeResponse:
    def __init__(self, url: str, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.url, self.status, self._body = url, status, body
        self.authorized = False
        self.settings = Settings()
        self.headers = Message()
        for k, v in (headers or {}).items():
            self.headers[k] = v

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def read(self, limit: int = 64 << 20, **_: object) -> bytes:
        return self._body[:limit]

    def close(self) -> None:
        pass

    abort = close


class FakeSession:
    """Answers by (path suffix, query subset) -> (status, body, headers); everything else is a 404."""

    def __init__(self, routes: list[tuple[str, dict[str, str], int, bytes | dict, dict[str, str]]]) -> None:
        self.routes = routes
        self.requests: list[str] = []

    def request(self, method: str, url: str, headers: dict[str, str] | None = None, **_: object) -> FakeResponse:
        self.requests.append(url)
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        for suffix, want, status, body, extra in self.routes:
            if parts.path.endswith(suffix) and all(query.get(k) == v for k, v in want.items()):
                data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                return FakeResponse(url, status, data, extra)
        return FakeResponse(url, 404, b'{"Code": 404, "Message": "no route", "Success": false}')


def api(session: FakeSession, kind: str = "models") -> MsApi:
    return MsApi(session, EP, "acme/m", kind)  # type: ignore[arg-type]


def test_recorded_refusals_map_to_exit_codes_with_the_hubs_message() -> None:
    missing = refusal(404, fixture("repo_not_found_404.json"), "repo acme/m", EP)
    assert isinstance(missing, NotFoundError)
    assert "record not found" in missing.message and "10010205001" in missing.message
    tree = refusal(404, fixture("tree_not_found_404.json"), "file list", EP)
    assert isinstance(tree, NotFoundError)
    inside_200 = refusal(200, fixture("business_error_200.json"), "file list", EP)
    assert isinstance(inside_200, NotFoundError) and "模型不存在" in inside_200.message
    no_access = refusal(404, {"Code": 10010200001, "Message": "no access", "Success": False}, "repo", EP)
    assert isinstance(no_access, AuthError) and "MODELSCOPE_API_TOKEN" in no_access.message
    hostile = refusal(200, {"Code": 1, "Success": False, "Message": "bad\x1b[31m\nhubctl: error: forged"}, "x", EP)
    assert "\n" not in hostile.message and "\x1b" not in hostile.message and "\\x1b" in hostile.message


def test_business_error_inside_http_200_is_not_an_empty_listing() -> None:
    session = FakeSession([("/repo/files", {}, 200, fixture("business_error_200.json"), {})])
    with pytest.raises(NotFoundError, match="模型不存在"):
        ModelScope().snapshot(session, EP, "acme/m", HEAD)  # type: ignore[arg-type]


def test_recorded_listing_gives_typed_entries_and_the_head_from_short_id(fast: None) -> None:
    """LatestCommitter.Id is empty and per-file Revision is each file's last change: the head is the one
    file revision that LatestCommitter.ShortId abbreviates, never the first file's revision."""
    page = ms_entries.page(fixture("listing_mixed_revisions.json")["Data"], "listing")
    assert page.head_id is None and page.head_short_id == HEAD[:8]
    files = {e.path: e for e in page.entries if not e.is_dir}
    assert files["model.safetensors"].lfs and files["model.safetensors"].size == 988097824
    assert files["tokenizer.json"].sha256 is None and files["config.json"].revision == HEAD

    routes = [
        ("/revisions", {}, 200, fixture("revisions_no_commitid.json"), {}),
        ("/commits", {"Ref": "master"}, 503, b"", {}),  # the commits API and git both fail ...
        ("/repo/files", {"Revision": "master"}, 200, fixture("listing_mixed_revisions.json"), {}),
        ("/repo", {"FilePath": "tokenizer.json"}, 206, b"x", {"X-Linked-ETag": f'"{"ab" * 32}"'}),
    ]
    snap = ModelScope().snapshot(FakeSession(routes), EP, "acme/m", "master")  # type: ignore[arg-type]
    assert snap.commit == HEAD and snap.unpinned_reason is None  # ... so the listing names the head
    by_path = {f.path: f for f in snap.files}
    assert by_path["tokenizer.json"].sha256 == "ab" * 32 and by_path["tokenizer.json"].hash_source == "server-header"
    assert by_path["config.json"].hash_source == "listing"


def test_recorded_revisions_without_commitid_resolve_through_the_commits_api() -> None:
    session = FakeSession(
        [
            ("/revisions", {}, 200, fixture("revisions_no_commitid.json"), {}),
            ("/commits", {"PageNumber": "1", "PageSize": "1"}, 200, fixture("commits_ref_master.json"), {}),
        ]
    )
    assert ms_refs.resolve(api(session), "master")[0] == HEAD
    # A short sha is taken only from an answer that starts with it (this fake, like the live hub with a
    # misspelled parameter, answers master's head whatever the Ref).
    assert ms_refs.from_commits_api(api(session), "deadbeef") is None


def test_unknown_ref_and_unknown_revision_listing_are_not_found() -> None:
    session = FakeSession([("/commits", {}, 200, fixture("commits_ref_unknown.json"), {})])
    assert ms_refs.from_commits_api(api(session), "nope") is None
    with pytest.raises(NotFoundError, match="unknown branch"):
        ms_entries.page(fixture("unknown_revision_files_null.json")["Data"], "listing")


def test_recorded_git_advertisement_names_branches_and_peeled_tags() -> None:
    body = (FIXTURES / "git_info_refs.pkt").read_bytes()
    refs = ms_refs.parse_advertisement(body)
    assert refs["refs/heads/master"] == HEAD and refs["refs/tags/v1.0^{}"] == OLDER
    session = FakeSession([(".git/info/refs", {"service": "git-upload-pack"}, 200, body, {})])
    assert ms_refs.from_git(api(session), "v1.0") == OLDER  # the peeled commit, not the tag object
    assert ms_refs.from_git(api(session), "master") == HEAD
    assert ms_refs.parse_advertisement(b"zzzz" + body) == {} and ms_refs.parse_advertisement(b"00") == {}


def test_missing_repo_stops_the_resolve_chain_at_the_first_answer() -> None:
    session = FakeSession([("/revisions", {}, 404, fixture("repo_not_found_404.json"), {})])
    with pytest.raises(NotFoundError, match="record not found"):
        ModelScope().snapshot(session, EP, "acme/m", "master")  # type: ignore[arg-type]
    assert len(session.requests) == 1


@pytest.mark.parametrize(
    ("mutation", "reason"),
    [
        ({"Size": "659"}, "Size"),
        ({"Size": None}, "Size"),
        ({"Size": -1}, "Size"),
        ({"Size": 1 << 60}, "Size"),
        ({"Size": 6.5}, "Size"),
        ({"Size": True}, "Size"),
        ({"Path": 7}, "Path"),
        ({"Path": ["a"]}, "Path"),
        ({"Path": ""}, "Path"),
        ({"Sha256": "ab/" * 21 + "a"}, "Sha256"),
        ({"Sha256": "ab" * 31}, "Sha256"),
        ({"Sha256": 12}, "Sha256"),
        ({"Type": "symlink"}, "Type"),
        ({"IsLFS": "yes"}, "IsLFS"),
    ],
)
def test_malformed_entries_are_exit_6_naming_the_entry(mutation: dict, reason: str) -> None:
    data = fixture("listing_mixed_revisions.json")["Data"]
    data["Files"][2].update(mutation)
    with pytest.raises(IntegrityError, match=reason) as err:
        ms_entries.page(data, "listing")
    assert err.value.exit_code == ExitCode.INTEGRITY and "\n" not in err.value.message


def test_entries_that_are_not_objects_and_deep_json_are_exit_6() -> None:
    data = fixture("listing_mixed_revisions.json")["Data"]
    for junk in (["x"], "x", 5, None):
        broken = copy.deepcopy(data)
        broken["Files"][1] = junk
        with pytest.raises(IntegrityError, match="#1"):
            ms_entries.page(broken, "listing")
    deep = b'{"Code":200,"Success":true,"Data":{"Files":' + b"[" * 200_000 + b"]" * 200_000 + b"}}"
    session = FakeSession([("/repo/files", {}, 200, deep, {})])
    with pytest.raises(IntegrityError, match="nested too deeply"):
        ModelScope().snapshot(session, EP, "acme/m", HEAD)  # type: ignore[arg-type]


def _mutate(rng: random.Random, value: object, depth: int = 0) -> object:
    """One random change somewhere inside `value` (a copy): a value of another type, a deleted or added key,
    an entry that is not an object, a wrong-length hash, control characters, deep nesting."""
    junk = [
        None,
        True,
        -1,
        0,
        1 << 62,
        3.5,
        "",
        "12",
        "ab" * 33,
        "a\x1b[2J\n",
        [],
        {},
        [[[[[[]]]]]],
        {"Path": {"Path": "x"}},
        "x" * 5000,
        float("1e308"),
    ]
    if isinstance(value, dict) and value and depth < 6:
        key = rng.choice(list(value))
        roll = rng.random()
        if roll < 0.15:
            return {k: v for k, v in value.items() if k != key}
        if roll < 0.25:
            return {**value, rng.choice(["Size", "Path", "Sha256", "Type", "IsLFS", "zz"]): rng.choice(junk)}
        return {**value, key: _mutate(rng, value[key], depth + 1)}
    if isinstance(value, list) and value and depth < 6:
        i = rng.randrange(len(value))
        return [*value[:i], _mutate(rng, value[i], depth + 1), *value[i + 1 :]]
    nested: object = "x"
    for _ in range(rng.randrange(1, 60)):
        nested = [nested]
    return rng.choice([*junk, nested])


def test_fuzzed_recorded_listings_give_a_valid_listing_or_exit_6() -> None:
    """Bounded fuzz (seeded, 1,500 mutations, < 60 s): the only outcomes are a valid typed snapshot or a
    hubctl error with exit 6. `Files: null` itself is excluded: that is the live hub's "unknown revision"."""
    rng = random.Random(20261130)
    base = fixture("listing_mixed_revisions.json")
    started, outcomes = time.monotonic(), {"ok": 0, "exit6": 0}
    for _ in range(1500):
        body = copy.deepcopy(base)
        body["Data"]["Files"] = _mutate(rng, body["Data"]["Files"])
        if body["Data"]["Files"] is None:
            continue
        etag = {"X-Linked-ETag": '"' + "cd" * 32 + '"'}
        routes = [("/repo/files", {}, 200, body, {}), ("/repo", {}, 206, b"x", etag)]
        try:
            snap = ModelScope().snapshot(FakeSession(routes), EP, "acme/m", HEAD)  # type: ignore[arg-type]
        except HubctlError as err:
            assert err.exit_code == ExitCode.INTEGRITY, err.message
            assert "\n" not in err.message and "\x1b" not in err.message
            outcomes["exit6"] += 1
            continue
        for f in snap.files:
            assert isinstance(f.path, str) and f.path and type(f.size) is int and 0 <= f.size <= ms_entries.MAX_SIZE
            assert f.sha256 is None or (len(f.sha256) == 64 and set(f.sha256) <= set("0123456789abcdef"))
            assert isinstance(f.lfs, bool)
        outcomes["ok"] += 1
        assert time.monotonic() - started < 60
    assert outcomes["ok"] > 50 and outcomes["exit6"] > 300, outcomes


def test_endpoint_spellings_normalise_to_one_origin() -> None:
    assert normalize_endpoint("modelscope", "modelscope.ai") == "https://www.modelscope.ai"
    assert normalize_endpoint("modelscope", "https://modelscope.ai/") == "https://www.modelscope.ai"
    assert normalize_endpoint("modelscope", "www.modelscope.ai") == "https://www.modelscope.ai"
    assert normalize_endpoint("modelscope", "http://127.0.0.1:8080//") == "http://127.0.0.1:8080"
    assert normalize_endpoint("modelscope", "modelscope.cn/") == "https://modelscope.cn"
    assert normalize_endpoint("hf", "modelscope.ai") == "https://modelscope.ai"
    assert shown("a\x00b" * 100, 10) == "a\\x00ba\\x00ba\\x00ba…"


# --- end to end: `python -m hubctl pull` against the loopback hub -------------------------------------------

CONFIG_V1 = b'{"model_type": "llama", "v": 1}\n'
CONFIG_V2 = b'{"model_type": "llama", "v": 2}\n'
WEIGHTS = random.Random(5).randbytes(2 << 20)
BIG_TEXT = random.Random(6).randbytes(300_000)  # not LFS (< 1 MiB, .txt): served directly, Range ignored
ALL_V2 = {"config.json": CONFIG_V2, "model.safetensors": WEIGHTS, "notes/big.txt": BIG_TEXT}


@pytest.fixture
def ms_hub():
    store = RepoStore()
    store.add_files(
        "acme/m",
        {"config.json": CONFIG_V1, "model.safetensors": WEIGHTS, "notes/big.txt": BIG_TEXT},
        tags=("v1.0",),
        message="C1",
    )
    store.add_files("acme/m", {"config.json": CONFIG_V2}, message="C2")
    store.add_files("acme/private", {"a.txt": b"secret"})
    store.require_token("acme/private", "ms-secret")
    with HubServer(store) as hub:
        yield hub
    store.close()


def pull(hub: HubServer, dest: Path, *args: str, env: dict | None = None, repo: str = "ms:acme/m", timeout: int = 120):
    endpoint_env = {"MODELSCOPE_ENDPOINT": hub.endpoint, "MODELSCOPE_API_TOKEN": ""} | (env or {})
    return cli("pull", repo, "--dest", str(dest), *args, env=endpoint_env, timeout=timeout)


def api_paths(hub: HubServer, part: str) -> list[str]:
    return [r.path for r in hub.log() if r.origin == "api" and part in r.path]


def downloads(hub: HubServer) -> list[str]:
    return api_paths(hub, "/repo?")


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("hubctl: error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_point1_branch_resolves_without_commit_id_through_the_commits_api(ms_hub: HubServer, tmp_path: Path) -> None:
    c2 = ms_hub.store.resolve("acme/m", "master").sha
    proc = pull(ms_hub, tmp_path / "d", "-q")
    assert proc.returncode == 0, proc.stderr
    assert len(api_paths(ms_hub, "/revisions")) == 1 and len(api_paths(ms_hub, "/commits?")) == 1
    assert not api_paths(ms_hub, ".git/info/refs")
    assert read_manifest(tmp_path / "d" / ".hubctl" / "manifest.json").commit == c2
    assert downloads(ms_hub) and all(f"Revision={c2}" in p for p in downloads(ms_hub))


def test_point1_git_refs_then_listing_head_then_unpinned(ms_hub: HubServer, tmp_path: Path) -> None:
    c2 = ms_hub.store.resolve("acme/m", "master").sha
    ms_hub.add_fault(Fault(kind="status", match="/commits?", status=404, times=-1))
    proc = pull(ms_hub, tmp_path / "git", "-q")
    assert proc.returncode == 0, proc.stderr
    assert [r.status for r in ms_hub.log() if ".git/info/refs" in r.path] == [200]  # git named the commit
    assert all(f"Revision={c2}" in p for p in downloads(ms_hub))

    ms_hub.add_fault(Fault(kind="status", match=".git/info/refs", status=421, times=-1))
    ms_hub.reset_log()
    proc = pull(ms_hub, tmp_path / "head", "-q")  # LatestCommitter.ShortId names the head among file revisions
    assert proc.returncode == 0, proc.stderr
    assert read_manifest(tmp_path / "head" / ".hubctl" / "manifest.json").commit == c2

    # A head commit that only deleted a file is no file's last change: nothing can name it.
    c3 = ms_hub.store.add_files("acme/m", {}, remove=["notes/big.txt"], message="C3")
    ms_hub.reset_log()
    proc = pull(ms_hub, tmp_path / "by-name")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "could not be pinned" in line]
    assert len(warnings) == 1 and warnings[0].startswith("hubctl: warning:")
    manifest = read_manifest(tmp_path / "by-name" / ".hubctl" / "manifest.json")
    assert manifest.commit is None and "could not be pinned" in (manifest.commit_not_pinned or "")
    assert all("Revision=master" in p for p in downloads(ms_hub)) and c3.sha not in proc.stderr
    assert tree_bytes(tmp_path / "by-name") == {"config.json": CONFIG_V2, "model.safetensors": WEIGHTS}


def test_point2_a_push_during_the_pull_cannot_mix_commits(ms_hub: HubServer, tmp_path: Path) -> None:
    old = ms_hub.store.resolve("acme/m", "master").sha
    ms_hub.add_fault(Fault(kind="slow", match="/repo/files", delay=1.5))  # a window between listing and downloads

    def push_when_resolved() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not api_paths(ms_hub, "/commits?"):
            time.sleep(0.02)
        ms_hub.store.add_files("acme/m", {"config.json": b'{"v": 3}\n', "model.safetensors": b"new weights"})

    pusher = threading.Thread(target=push_when_resolved)
    pusher.start()
    proc = pull(ms_hub, tmp_path / "d", "-q", "--workers", "1")
    pusher.join(70)
    assert proc.returncode == 0, proc.stderr
    assert ms_hub.store.resolve("acme/m", "master").sha != old  # master really moved during the pull
    assert tree_bytes(tmp_path / "d") == ALL_V2
    assert downloads(ms_hub) and all(f"Revision={old}" in p for p in downloads(ms_hub))


def test_point3_refusals_exit_3_and_4_with_the_hubs_message(ms_hub: HubServer, tmp_path: Path) -> None:
    proc = pull(ms_hub, tmp_path / "a", repo="ms:acme/nope")
    assert proc.returncode == 3 and "record not found" in one_line(proc.stderr) and "10010205001" in proc.stderr
    assert len([r for r in ms_hub.log() if r.origin == "api"]) == 1  # the first answer settles it
    assert not (tmp_path / "a" / ".hubctl" / "manifest.json").exists()
    ms_hub.reset_log()
    proc = pull(ms_hub, tmp_path / "b", repo="ms:acme/private")
    assert proc.returncode == 4 and "MODELSCOPE_API_TOKEN" in one_line(proc.stderr)
    proc = pull(ms_hub, tmp_path / "c", repo="ms:acme/private", env={"MODELSCOPE_API_TOKEN": "ms-secret"})
    assert proc.returncode == 0, proc.stderr


class _Canned(BaseHTTPRequestHandler):
    """A hub that answers every request with one canned body (HTTP 200)."""

    body = b""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        (
            {"Code": 10010205001, "Success": False, "Data": None, "Message": "模型不存在\x1b[2J"},
            3,
            "模型不存在\\x1b[2J",
        ),
        (
            {"Code": 200, "Success": True, "Data": {"Files": [{"Path": "a\nb", "Type": "blob", "Size": "12"}]}},
            6,
            "a\\x0ab",
        ),
    ],
)
def test_point3_business_error_in_200_and_malformed_listing_end_to_end(tmp_path: Path, body, code, needle) -> None:
    handler = type("H", (_Canned,), {"body": json.dumps(body).encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        proc = cli(
            "pull", "ms:acme/m", "--revision", HEAD, "--endpoint", endpoint, "--dest", str(tmp_path / "d"), timeout=60
        )
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == code and needle in one_line(proc.stderr)


def _wide_store(a: int, b: int) -> RepoStore:
    store = RepoStore()
    files = {f"a/{i:05d}.txt": b"a%d\n" % i for i in range(a)}
    files |= {f"b/{i:05d}.txt": b"b%d\n" % i for i in range(b)}
    files["z.txt"] = b"the last entry\n"
    store.add_files("acme/wide", files)
    return store


def test_point4_a_listing_at_the_cap_is_walked_with_root(tmp_path: Path) -> None:
    with _wide_store(1600, 1600) as store, HubServer(store) as hub:
        proc = pull(hub, tmp_path / "d", "-q", "--include", "z.txt", repo="ms:acme/wide", timeout=240)
        assert proc.returncode == 0, proc.stderr
        assert tree_bytes(tmp_path / "d") == {"z.txt": b"the last entry\n"}
        listings = api_paths(hub, "/repo/files?")
        assert len(listings) == 4  # whole tree (capped), root shallow, a/ and b/ recursive
        assert sum("Root=a" in p for p in listings) == 1 and sum("Root=b" in p for p in listings) == 1

        # The official client walks the same emulation to the same file (the emulation stays faithful).
        run_client(
            """
            from modelscope import snapshot_download
            snapshot_download("acme/wide", local_dir="ms", allow_patterns=["z.txt"])
            print("{}")
            """,
            client_env(hub, tmp_path),
            tmp_path,
        )
        assert (tmp_path / "ms" / "z.txt").read_bytes() == b"the last entry\n"


def test_point4_a_directory_over_the_cap_fails_and_writes_no_manifest(tmp_path: Path) -> None:
    with _wide_store(3000, 1) as store, HubServer(store) as hub:
        proc = pull(hub, tmp_path / "d", "--include", "z.txt", repo="ms:acme/wide", timeout=240)
        assert proc.returncode == 6 and "directory a holds 3000 or more entries" in one_line(proc.stderr)
        assert not (tmp_path / "d" / ".hubctl" / "manifest.json").exists()
        assert len(api_paths(hub, "/repo/files?")) == 5  # whole tree, root shallow, a/ and b/, then a/ shallow


def test_point5_empty_sha256_is_taken_from_x_linked_etag_and_recorded(ms_hub: HubServer, tmp_path: Path) -> None:
    ms_hub.store.set_unhashed("acme/m", ["model.safetensors", "notes/big.txt"])
    proc = pull(ms_hub, tmp_path / "d", "-q", "--include", "model.safetensors")
    assert proc.returncode == 0, proc.stderr
    files = {f.path: f for f in read_manifest(tmp_path / "d" / ".hubctl" / "manifest.json").files}
    assert files["model.safetensors"].sha256 == sha256(WEIGHTS)
    assert files["model.safetensors"].hash_source == "server-header"
    probes = [r for r in ms_hub.log() if r.range == "bytes=0-0"]
    assert len([r for r in probes if r.origin == "api"]) == 2  # one per hash-less file, before selection

    # A file served directly has no X-Linked-ETag: with no hash anywhere, its bytes are refused.
    proc = pull(ms_hub, tmp_path / "e", "--include", "notes/big.txt")
    assert proc.returncode == 6 and "no hash" in one_line(proc.stderr)
    assert not (tmp_path / "e" / "notes" / "big.txt").exists()


def test_point6_range_ignored_on_direct_files_and_per_file_revisions(ms_hub: HubServer, tmp_path: Path) -> None:
    """notes/big.txt is fetched in 64 KiB pieces; the hub ignores Range on it (200, whole file), so hubctl
    falls back to one stream. Per-file Revision values are C1 for most files: the commit is still C2."""
    env = {"HUBCTL_MULTIPART_THRESHOLD": str(128 << 10), "HUBCTL_PIECE_SIZE": str(64 << 10)}
    proc = pull(ms_hub, tmp_path / "d", "-q", "--include", "notes/*", env=env)
    assert proc.returncode == 0, proc.stderr
    assert tree_bytes(tmp_path / "d") == {"notes/big.txt": BIG_TEXT}
    gets = [r for r in ms_hub.log() if "big.txt" in r.path and r.range != "bytes=0-0"]
    assert any(r.range for r in gets) and all(r.status == 200 for r in gets) and any(r.range is None for r in gets)
    assert len(gets) <= 12
    c2 = ms_hub.store.resolve("acme/m", "master").sha
    assert read_manifest(tmp_path / "d" / ".hubctl" / "manifest.json").commit == c2


def test_point7_endpoint_with_trailing_slash_sends_the_same_requests(ms_hub: HubServer, tmp_path: Path) -> None:
    paths = []
    for i, endpoint in enumerate((ms_hub.endpoint, ms_hub.endpoint + "/", ms_hub.endpoint + "//")):
        ms_hub.reset_log()
        proc = pull(ms_hub, tmp_path / str(i), "-q", "--include", "config.json", env={"MODELSCOPE_ENDPOINT": endpoint})
        assert proc.returncode == 0, proc.stderr
        paths.append(sorted(r.path for r in ms_hub.log() if r.origin == "api"))
    assert paths[0] == paths[1] == paths[2] and not any("//" in p for p in paths[0])
    proc = cli(
        "pull",
        "ms:acme/m",
        "--endpoint",
        ms_hub.endpoint + "/",
        "--dest",
        str(tmp_path / "e"),
        "-q",
        "--include",
        "config.json",
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_official_client_still_reads_the_emulation_without_commit_id(ms_hub: HubServer, tmp_path: Path) -> None:
    run_client(
        """
        from modelscope import snapshot_download
        from modelscope.hub.file_download import model_file_download
        snapshot_download("acme/m", local_dir="snap")
        model_file_download("acme/m", "config.json", local_dir="one")
        print("{}")
        """,
        client_env(ms_hub, tmp_path, MODELSCOPE_SDK_DEBUG="1"),
        tmp_path,
    )
    assert tree_bytes(tmp_path / "snap") == ALL_V2
    assert (tmp_path / "one" / "config.json").read_bytes() == CONFIG_V2


def test_transient_failure_of_every_lookup_still_lists_by_name(fast: None) -> None:
    """The commit lookups may all fail; the pull goes on by name (and says why) instead of failing."""

    class Flaky(FakeSession):
        def request(self, method: str, url: str, headers: dict[str, str] | None = None, **kw: object) -> FakeResponse:
            if "/repo/files" not in url:
                self.requests.append(url)
                raise TransientError("connection reset")
            return super().request(method, url, headers)

    listing = fixture("listing_mixed_revisions.json")
    listing["Data"]["LatestCommitter"] = {"Id": "", "ShortId": "00000000"}
    listing["Data"]["Files"] = [f for f in listing["Data"]["Files"] if f.get("Sha256")]
    snap = ModelScope().snapshot(Flaky([("/repo/files", {}, 200, listing, {})]), EP, "acme/m", "master")  # type: ignore[arg-type]
    assert snap.commit == "" and "commits API" in (snap.unpinned_reason or "") and "git refs" in snap.unpinned_reason


def _get(hub: HubServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_emulation_answers_like_the_live_hub_by_default(ms_hub: HubServer) -> None:
    """The loopback hub's default shapes, asserted on the wire (not through any client)."""
    store = ms_hub.store
    c1, c2 = store.resolve("acme/m", "v1.0").sha, store.resolve("acme/m", "master").sha
    base = "/api/v1/models/acme/m"
    revs = json.loads(_get(ms_hub, f"{base}/revisions")[2])["Data"]["RevisionMap"]
    assert all(set(b) == {"Revision", "CreatedAt"} for b in revs["Branches"] + revs["Tags"])
    commits = json.loads(_get(ms_hub, f"{base}/commits?Ref=master&PageNumber=1&PageSize=1")[2])["Data"]
    assert [c["Id"] for c in commits["Commit"]] == [c2] and commits["TotalCount"] == 2
    assert json.loads(_get(ms_hub, f"{base}/commits?PageNumber=2&PageSize=1")[2])["Data"]["Commit"][0]["Id"] == c1
    assert json.loads(_get(ms_hub, f"{base}/commits?Ref=nope")[2])["Data"]["Commit"] is None
    status, _, body = _get(ms_hub, "/acme/m.git/info/refs?service=git-upload-pack", {"User-Agent": "git/2.45.0"})
    assert status == 200 and ms_refs.parse_advertisement(body)["refs/tags/v1.0"] == c1
    assert _get(ms_hub, "/acme/m.git/info/refs?service=git-upload-pack", {"User-Agent": "curl/8"})[0] == 421

    status, _, body = _get(ms_hub, "/api/v1/models/acme/nope/repo/files?Revision=master")
    assert (status, json.loads(body)["Code"]) == (404, 10010205001)
    assert "record not found" in json.loads(body)["Message"]
    status, _, body = _get(ms_hub, "/api/v1/models/acme/private/repo/files?Revision=master")
    assert (status, json.loads(body)["Code"]) == (404, 10010200001)
    status, _, body = _get(ms_hub, f"{base}/repo/files?Revision=nope&Recursive=True")
    assert status == 200 and json.loads(body)["Data"]["Files"] is None

    data = json.loads(_get(ms_hub, f"{base}/repo/files?Revision=master&Recursive=True")[2])["Data"]
    assert data["LatestCommitter"]["Id"] == "" and data["LatestCommitter"]["ShortId"] == c2[:8]
    revisions = {f["Path"]: f["Revision"] for f in data["Files"] if f["Type"] == "blob"}
    assert revisions == {"config.json": c2, "model.safetensors": c1, "notes/big.txt": c1}

    status, headers, body = _get(ms_hub, f"{base}/repo?Revision={c2}&FilePath=notes/big.txt", {"Range": "bytes=0-9"})
    assert status == 200 and body == BIG_TEXT and "content-range" not in headers  # Range ignored
    status, headers, _ = _get(ms_hub, f"{base}/repo?Revision={c2}&FilePath=model.safetensors")
    assert status == 302 and "/oss/" in headers["location"]
