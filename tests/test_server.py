"""The loopback hub against the official clients (spec hub-protocols.md sections A, B, 5) and on the wire.

Clients run in subprocesses: HF_ENDPOINT is read at import time and modelscope keeps a process-wide
config singleton, so each run needs a fresh interpreter with its own environment.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import BIG_SIZE, build_fixture_store
from hubclients import client_env, run_client
from pulltools import tree_bytes

from hubctl.server import Fault, HubServer, RepoStore, serve_folders

# Pinned by content: changing a fixture byte, the hashing or the commit format must show up here.
TINY_C1 = "1e2dd02690900182aed6f74fc633b9ed60147a79"
TINY_C2 = "b674e7aebd4f241037b07b4b341f460ef2487242"
TINY_C2_TREE = "f66eafa37717674e389f778a89d376d7e57be4ff"  # `git write-tree` of C2 with LFS pointers


def served(store: RepoStore, repo_id: str, revision: str) -> dict[str, bytes]:
    return {f.path: f.source.read_bytes() for f in store.resolve(repo_id, revision).files}


def request(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request, no redirects followed, so each hop can be asserted."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def cdn_url(hub: HubServer, repo_path: str) -> str:
    """The signed blob URL the hub redirects an LFS file of acme/tiny (or acme/big) to."""
    repo = "acme/big" if repo_path == "big.safetensors" else "acme/tiny"
    status, headers, _ = request(f"{hub.endpoint}/{repo}/resolve/main/{repo_path}", "HEAD")
    assert status == 302
    return headers["Location"]


# --- official clients -----------------------------------------------------------------------------------


def test_hf_snapshot_download_branch_tag_commit_and_patterns(hub: HubServer, tmp_path: Path) -> None:
    run_client(
        f"""
        from huggingface_hub import snapshot_download
        snapshot_download("acme/tiny", local_dir="main")
        snapshot_download("acme/tiny", revision="v1.0", local_dir="tag")
        snapshot_download("acme/tiny", revision="{TINY_C1}", local_dir="pinned")
        snapshot_download("acme/tiny", local_dir="patterns", allow_patterns=["*.json", "sub/*"])
        print("{{}}")
    """,
        client_env(hub, tmp_path, HF_TOKEN="hf_x"),
        tmp_path,
    )

    store = hub.store
    assert tree_bytes(tmp_path / "main") == served(store, "acme/tiny", "main")
    assert tree_bytes(tmp_path / "tag") == served(store, "acme/tiny", "v1.0")
    assert tree_bytes(tmp_path / "pinned") == served(store, "acme/tiny", TINY_C1)
    assert b'"revision": 1' in (tmp_path / "tag" / "config.json").read_bytes()
    want = {p: b for p, b in served(store, "acme/tiny", "main").items() if p.endswith(".json") or p.startswith("sub/")}
    assert tree_bytes(tmp_path / "patterns") == want

    log = hub.log()
    cdn = [r for r in log if r.origin == "cdn"]
    assert cdn and all(r.method == "GET" and r.status == 200 and r.authorization is None for r in cdn)
    assert all(r.authorization == "Bearer hf_x" for r in log if r.origin == "api")
    assert not any(r.path.startswith("/api/models/acme/tiny/revision/") and TINY_C1 in r.path for r in log)


def test_modelscope_snapshot_download_master_pinned_and_root(hub: HubServer, tmp_path: Path) -> None:
    run_client(
        f"""
        from modelscope import snapshot_download
        snapshot_download("acme/tiny", local_dir="master")
        snapshot_download("acme/tiny", revision="{TINY_C1}", local_dir="pinned")
        snapshot_download("acme/tiny", local_dir="sub", allow_patterns=["sub/dir/*"])
        print("{{}}")
    """,
        client_env(hub, tmp_path, MODELSCOPE_API_TOKEN="ms-x"),
        tmp_path,
    )

    store = hub.store
    assert tree_bytes(tmp_path / "master") == served(store, "acme/tiny", "master")
    assert tree_bytes(tmp_path / "pinned") == served(store, "acme/tiny", TINY_C1)
    assert tree_bytes(tmp_path / "sub") == {
        p: b for p, b in served(store, "acme/tiny", "master").items() if p.startswith("sub/dir/")
    }
    paths = [r.path for r in hub.log()]
    assert any("repo/files?" in p and "Root=sub%2Fdir" in p for p in paths)
    oss = [r for r in hub.log() if r.origin == "cdn"]
    assert oss and all(r.path.startswith("/oss/") and r.authorization is None for r in oss)
    assert all(r.cookie == "m_session_id=ms-x" for r in oss)  # requests keeps the cookie across ports


def test_corrupt_bytes_rejected_by_modelscope_but_accepted_by_hf(hub: HubServer, tmp_path: Path) -> None:
    """ModelScope checks sha256 (3 attempts); huggingface_hub only counts bytes, which is why hubctl exists."""
    hub.add_fault(Fault(kind="corrupt", match="weights.bin", times=3))
    out = run_client(
        """
        import json
        from modelscope import snapshot_download
        try:
            snapshot_download("acme/tiny", local_dir="ms", allow_patterns=["sub/dir/weights.bin"])
            print(json.dumps({"error": None}))
        except Exception as exc:
            failed = {path: type(err).__name__ for path, err in exc.failed_files.items()}
            print(json.dumps({"error": type(exc).__name__, "failed": failed}))
    """,
        client_env(hub, tmp_path),
        tmp_path,
    )
    assert out == {"error": "FileDownloadError", "failed": {"sub/dir/weights.bin": "FileIntegrityError"}}
    assert [r.fault for r in hub.log() if r.origin == "cdn"] == ["corrupt"] * 3
    assert not (tmp_path / "ms" / "sub" / "dir" / "weights.bin").exists()

    hub.clear_faults()
    hub.add_fault(Fault(kind="corrupt", match="weights.bin", times=1))
    run_client(
        """
        from huggingface_hub import snapshot_download
        snapshot_download("acme/tiny", local_dir="hf", allow_patterns=["sub/dir/weights.bin"])
        print("{}")
    """,
        client_env(hub, tmp_path),
        tmp_path,
    )
    got = (tmp_path / "hf" / "sub" / "dir" / "weights.bin").read_bytes()
    want = hub.store.resolve("acme/tiny", "main").file("sub/dir/weights.bin")
    assert len(got) == want.size and hashlib.sha256(got).hexdigest() != want.sha256


def test_hf_error_codes_map_to_client_exceptions(hub: HubServer, tmp_path: Path) -> None:
    out = run_client(
        """
        import json
        from huggingface_hub import hf_hub_download, snapshot_download
        cases = {
            "repo": lambda: snapshot_download("acme/missing", local_dir="a"),
            "revision": lambda: snapshot_download("acme/tiny", revision="nope", local_dir="b"),
            "gated": lambda: snapshot_download("acme/gated", local_dir="c"),
            "entry": lambda: hf_hub_download("acme/tiny", "missing.txt", local_dir="d"),
            "private": lambda: hf_hub_download("acme/private", "config.json", local_dir="e"),
            "private_ok": lambda: hf_hub_download("acme/private", "config.json", local_dir="f", token="hf_secret"),
        }
        result = {}
        for name, call in cases.items():
            try:
                call()
                result[name] = "ok"
            except Exception as exc:
                result[name] = type(exc).__name__
        print(json.dumps(result))
    """,
        client_env(hub, tmp_path),
        tmp_path,
    )
    assert out == {
        "repo": "RepositoryNotFoundError",
        "revision": "RevisionNotFoundError",
        "gated": "GatedRepoError",
        "entry": "RemoteEntryNotFoundError",
        "private": "RepositoryNotFoundError",
        "private_ok": "ok",
    }
    status, headers, _ = request(f"{hub.endpoint}/acme/tiny/resolve/main/missing.txt", "HEAD")
    assert (status, headers["X-Error-Code"], headers["X-Repo-Commit"]) == (404, "EntryNotFound", TINY_C2)


# --- protocol details on the wire ------------------------------------------------------------------------


def test_ranges_and_sendfile_of_a_25_mib_file(hub: HubServer) -> None:
    big = hub.store.resolve("acme/big", "main").file("big.safetensors")
    url = cdn_url(hub, "big.safetensors")
    status, headers, body = request(url)
    assert (status, len(body), int(headers["Content-Length"])) == (200, BIG_SIZE, BIG_SIZE)
    assert hashlib.sha256(body).hexdigest() == big.sha256 == headers["X-Linked-ETag"].strip('"')

    status, headers, tail = request(url, headers={"Range": "bytes=10485760-"})
    assert (status, headers["Content-Range"]) == (206, f"bytes 10485760-{BIG_SIZE - 1}/{BIG_SIZE}")
    assert tail == body[10485760:]
    status, headers, _ = request(url, headers={"Range": f"bytes={BIG_SIZE}-"})
    assert (status, headers["Content-Range"]) == (416, f"bytes */{BIG_SIZE}")

    readme = f"{hub.endpoint}/acme/tiny/resolve/{TINY_C2}/README.md"
    status, headers, part = request(readme, headers={"Range": "bytes=2-5"})
    full = hub.store.resolve("acme/tiny", "main").file("README.md").source.read_bytes()
    assert (status, headers["Content-Range"], part) == (206, f"bytes 2-5/{len(full)}", full[2:6])
    status, headers, _ = request(readme, "HEAD")
    assert (status, int(headers["Content-Length"]), headers["Accept-Ranges"]) == (200, len(full), "bytes")


def test_hf_resolve_headers_like_the_real_hub(hub: HubServer) -> None:
    lfs = hub.store.resolve("acme/tiny", "main").file("model.safetensors")
    status, h, _ = request(f"{hub.endpoint}/acme/tiny/resolve/main/model.safetensors", "HEAD")
    assert status == 302 and h["Location"].startswith(f"{hub.cdn_endpoint}/cdn/{lfs.sha256}?")
    assert (h["X-Repo-Commit"], h["X-Linked-Etag"], h["X-Linked-Size"], h["ETag"]) == (
        TINY_C2,
        f'"{lfs.sha256}"',
        str(lfs.size),
        f'"{lfs.pointer_sha1}"',
    )
    assert not any(k.lower().startswith("x-xet") for k in h)

    status, h, _ = request(f"{hub.endpoint}/acme/tiny/resolve/v1.0/config.json", "HEAD")
    assert status == 307 and h["Location"].startswith(f"/api/resolve-cache/models/acme/tiny/{TINY_C1}/config.json?")
    status, h, body = request(hub.endpoint + h["Location"])
    assert (status, h["X-Repo-Commit"], body) == (200, TINY_C1, served(hub.store, "acme/tiny", TINY_C1)["config.json"])

    status, h, _ = request(cdn_url(hub, "model.safetensors").replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert status == 403  # the blob origin checks its signature like S3


def test_revisions_resolve_in_every_form(hub: HubServer) -> None:
    hub.store.add_files("acme/tiny", {"pr.txt": b"pr\n"}, branches=("refs/pr/1",), message="PR")
    pr = hub.store.resolve("acme/tiny", "refs/pr/1").sha
    for rev, sha in [
        ("main", TINY_C2),
        ("v1.0", TINY_C1),
        (TINY_C1, TINY_C1),
        (TINY_C1[:7], TINY_C1),
        ("refs%2Fpr%2F1", pr),
    ]:
        status, _, body = request(f"{hub.endpoint}/api/models/acme/tiny/revision/{rev}")
        assert (status, json.loads(body)["sha"]) == (200, sha), rev
        status, _, body = request(f"{hub.endpoint}/api/v1/models/acme/tiny/repo/files?Revision={rev}&Recursive=True")
        assert json.loads(body)["Data"]["LatestCommitter"]["ShortId"] == sha[:8], rev  # per-file ids: last change
    status, headers, _ = request(f"{hub.endpoint}/api/models/acme/tiny/revision/nope")
    assert (status, headers["X-Error-Code"]) == (404, "RevisionNotFound")
    status, headers, _ = request(f"{hub.endpoint}/api/models/acme/nope/revision/main")
    assert (status, headers["X-Error-Code"]) == (401, "RepoNotFound")  # anonymous, as on huggingface.co
    status, _, body = request(f"{hub.endpoint}/api/models/acme/tiny/refs?include_prs=1")
    refs = json.loads(body)
    assert [t["name"] for t in refs["tags"]] == ["v1.0"] and refs["pullRequests"][0]["ref"] == "refs/pr/1"


def test_commit_shas_are_git_objects_and_stable() -> None:
    with build_fixture_store() as store:
        main = store.resolve("acme/tiny", "main")
        assert (store.resolve("acme/tiny", "v1.0").sha, main.sha, main.parent) == (TINY_C1, TINY_C2, TINY_C1)
        assert main.tree_ids[""] == TINY_C2_TREE
        readme = main.file("README.md")
        data = readme.source.read_bytes()
        assert readme.git_sha1 == hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() and not readme.lfs
        weights = main.file("sub/dir/weights.bin")
        assert weights.lfs and weights.size == 3 * 1024 * 1024


def test_tree_listing_entries_and_pagination(hub: HubServer) -> None:
    status, _, body = request(f"{hub.endpoint}/api/models/acme/tiny/tree/main?recursive=true&expand=false")
    entries = json.loads(body)
    by_path = {e["path"]: e for e in entries}
    lfs = hub.store.resolve("acme/tiny", "main").file("sub/dir/weights.bin")
    assert by_path["sub"]["type"] == by_path["sub/dir"]["type"] == "directory"
    assert by_path["sub/dir/weights.bin"]["oid"] == lfs.pointer_sha1
    assert by_path["sub/dir/weights.bin"]["lfs"] == {
        "oid": lfs.sha256,
        "size": lfs.size,
        "pointerSize": lfs.pointer_size,
    }
    status, _, body = request(f"{hub.endpoint}/api/models/acme/tiny/tree/main/sub")
    assert [e["path"] for e in json.loads(body)] == ["sub/dir"]
    status, headers, _ = request(f"{hub.endpoint}/api/models/acme/tiny/tree/main/nope")
    assert (status, headers["X-Error-Code"]) == (404, "EntryNotFound")

    with HubServer(hub.store, tree_page_size=3) as paged:
        url, pages, seen = f"{paged.endpoint}/api/models/acme/tiny/tree/main?recursive=true&expand=false", 0, []
        while url:
            status, headers, body = request(url)
            seen += json.loads(body)
            pages += 1
            link = headers.get("Link")
            url = link[1 : link.index(">")] if link else None
        assert seen == entries and pages == -(-len(entries) // 3)


def test_modelscope_listing_revisions_and_auth(hub: HubServer) -> None:
    before = time.time()
    status, _, body = request(f"{hub.endpoint}/api/v1/models/acme/tiny/repo/files?Revision=master&Recursive=True")
    files = {f["Path"]: f for f in json.loads(body)["Data"]["Files"]}
    assert files["sub/dir"]["Type"] == "tree" and files["sub/dir/weights.bin"]["IsLFS"] is True
    config = served(hub.store, "acme/tiny", "master")["config.json"]
    assert files["config.json"]["Sha256"] == hashlib.sha256(config).hexdigest()
    status, _, body = request(f"{hub.endpoint}/api/v1/models/acme/tiny/repo/files?Revision=master&Root=nope")
    assert (status, json.loads(body)["Success"]) == (404, False)

    status, _, body = request(f"{hub.endpoint}/api/v1/models/acme/tiny/revisions")
    revs = json.loads(body)["Data"]["RevisionMap"]
    assert revs["Branches"] == [
        {"Revision": b, "CreatedAt": revs["Branches"][i]["CreatedAt"]} for i, b in enumerate(["main", "master"])
    ]
    assert revs["Tags"][0]["Revision"] == "v1.0" and revs["Tags"][0]["CreatedAt"] >= int(before) - 60

    status, _, _ = request(f"{hub.endpoint}/api/v1/models/acme/tiny/repo?Revision=master&FilePath=nope.txt")
    assert status == 404
    private = f"{hub.endpoint}/api/v1/models/acme/private/repo?Revision=master&FilePath=config.json"
    assert request(private)[0] == 404  # the live hub answers 404 + Code 10010200001 to a reader without access
    assert request(private, headers={"Cookie": "m_session_id=hf_secret"})[0] == 200
    assert request(f"{hub.endpoint}/api/v1/models/acme/gated/repo/files?Revision=master")[0] == 404
    assert request(f"{hub.endpoint}/api/v1/repos/internalAccelerationInfo")[0] == 404


# --- faults on the wire ----------------------------------------------------------------------------------


def test_fault_kinds_on_the_wire(hub: HubServer) -> None:
    url = cdn_url(hub, "sub/dir/weights.bin")
    full = hub.store.resolve("acme/tiny", "main").file("sub/dir/weights.bin").source.read_bytes()
    size = len(full)

    def hit(kind: str, headers: dict[str, str] | None = None, **kw: object):
        hub.add_fault(Fault(kind=kind, match="weights.bin", **kw))
        return request(url, headers=headers)

    status, h, body = hit("corrupt")
    assert status == 200 and len(body) == size and body != full
    assert [i for i in range(size) if body[i] != full[i]] == [0, size // 2]
    status, h, body = hit("wrong_size")
    assert int(h["Content-Length"]) == len(body) == size + 7 and body[:size] == full
    status, h, body = hit("html")
    assert status == 200 and h["Content-Type"].startswith("text/html") and body.startswith(b"<!doctype html>")
    assert hit("empty")[2] == b""
    status, h, body = hit("status", status=429, retry_after=3)
    assert (status, h["Retry-After"]) == (429, "3")
    status, h, body = hit("ignore_range", {"Range": "bytes=100-"})
    assert status == 200 and body == full and "Content-Range" not in h
    status, h, body = hit("bad_range", {"Range": "bytes=100-"})
    assert (status, h["Content-Range"], body) == (206, f"bytes 0-{size - 1}/{size}", full)
    with pytest.raises(http.client.IncompleteRead):
        hit("truncate", at=1000)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        hit("drop")
    started = time.monotonic()
    status, _, body = hit("slow", delay=0.01)
    assert body == full and time.monotonic() - started >= 0.01 * (size // 65536 - 1)
    with pytest.raises(http.client.IncompleteRead):
        hit("stall", delay=0.2, at=10)

    kinds = [(r.fault, r.bytes_sent) for r in hub.log() if r.origin == "cdn"]
    assert ("truncate", 1000) in kinds and ("stall", 10) in kinds and ("drop", 0) in kinds
    assert status == 200 and request(url)[2] == full  # every rule used up: normal service again


def test_body_faults_pass_heads_and_redirects_and_hit_the_bytes(hub: HubServer) -> None:
    """A rule on a file name lands on the request that streams the file, on /cdn (HF) and /oss (ModelScope)."""
    hub.add_fault(Fault(kind="truncate", match="sub/dir/weights.bin", times=2))
    hf_head = request(f"{hub.endpoint}/acme/tiny/resolve/main/sub/dir/weights.bin", "HEAD")
    ms_redirect = request(f"{hub.endpoint}/api/v1/models/acme/tiny/repo?FilePath=sub%2Fdir%2Fweights.bin")
    assert hf_head[0] == ms_redirect[0] == 302
    for blob in (hf_head[1]["Location"], ms_redirect[1]["Location"]):
        with pytest.raises(http.client.IncompleteRead):
            request(blob)
    faulted = [(r.origin, r.path[:5], r.fault) for r in hub.log() if r.fault]
    assert faulted == [("cdn", "/cdn/", "truncate"), ("cdn", "/oss/", "truncate")]


def test_control_routes_only_with_control(hub: HubServer) -> None:
    faults = json.dumps([{"kind": "status", "match": "config.json", "status": 503, "retry_after": 2}]).encode()
    assert request(f"{hub.endpoint}/__faults", "POST", body=faults)[0] == 404
    assert request(f"{hub.endpoint}/__log")[0] == 404
    assert request(f"{hub.endpoint}/acme/tiny/resolve/{TINY_C2}/config.json")[0] == 200

    with HubServer(hub.store, control=True) as ctl:
        assert request(f"{ctl.endpoint}/__faults", "POST", body=faults)[0] == 200
        status, headers, _ = request(f"{ctl.endpoint}/acme/tiny/resolve/{TINY_C2}/config.json")
        assert (status, headers["Retry-After"]) == (503, "2")
        status, _, body = request(f"{ctl.endpoint}/__log")
        assert [(r["status"], r["fault"]) for r in json.loads(body)] == [(503, "status")]
        assert request(f"{ctl.endpoint}/__faults", "POST", body=b'[{"kind": "nope", "match": "x"}]')[0] == 400
        assert request(f"{ctl.endpoint}/__reset", "POST")[0] == 200
        assert json.loads(request(f"{ctl.endpoint}/__log")[2]) == []


# --- server behaviour ------------------------------------------------------------------------------------


def test_keep_alive_and_quiet_early_hangups(hub: HubServer, capfd: pytest.CaptureFixture[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
    for method, path, want in [
        ("HEAD", f"/acme/tiny/resolve/{TINY_C2}/README.md", 200),
        ("GET", "/api/models/acme/nope", 401),  # RepoNotFound, anonymous
        ("GET", f"/acme/tiny/resolve/{TINY_C2}/config.json", 200),
    ]:
        conn.request(method, path)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == want and not resp.will_close
    sock = conn.sock
    conn.request("GET", "/api/models/acme/tiny")
    conn.getresponse().read()
    assert conn.sock is sock  # one TCP connection served all four
    conn.close()

    target = urlsplit(cdn_url(hub, "big.safetensors"))
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", hub.cdn_port)) as raw:
            raw.sendall(f"GET {target.path}?{target.query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            raw.recv(65536)
    assert request(f"{hub.endpoint}/api/models/acme/tiny")[0] == 200
    time.sleep(0.2)
    assert capfd.readouterr().err == ""


def test_serve_folders_hosts_local_folders(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "nested").mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "nested" / "big.dat").write_bytes(os.urandom(2 << 20))
    (model / ".git").mkdir()
    (model / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (model / ".cache" / "huggingface").mkdir(parents=True)
    (model / ".cache" / "huggingface" / "x.metadata").write_text("x")
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("a\n")

    with serve_folders([("acme/local", model), ("datasets/acme/ds", data)], "127.0.0.1", 0) as srv:
        assert srv.cdn_port != srv.port
        body = request(f"{srv.endpoint}/api/models/acme/local/tree/main?recursive=true")[2]
        assert {e["path"]: "lfs" in e for e in json.loads(body)} == {
            "config.json": False,
            "nested": False,
            "nested/big.dat": True,
        }  # LFS by size (>= 1 MiB)
        assert request(f"{srv.endpoint}/datasets/acme/ds/resolve/master/train.csv")[0] == 307
        assert request(f"{srv.endpoint}/api/models/acme/ds")[0] == 401  # RepoNotFound, anonymous


def test_fixed_port_puts_the_blob_origin_on_port_plus_one() -> None:
    for _ in range(20):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            with HubServer(RepoStore(), port=port) as srv:
                assert (srv.port, srv.cdn_port, srv.cdn_endpoint) == (port, port + 1, f"http://127.0.0.1:{port + 1}")
                return
        except OSError:
            continue
    pytest.skip("no two consecutive free ports")
