"""hubctl verify: offline proof, precise reports, --quick, --repair; and pulls pinned by a lockfile."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest
from pulltools import REPO_FILES, cli, sha256, tree_bytes

from hubctl.download.pull import PullRequest, pull
from hubctl.errors import ExitCode
from hubctl.integrity.stamps import read_stamp, write_stamp
from hubctl.server import HubServer, RepoStore

BIG = "big/shard.bin"


@pytest.fixture(scope="module")
def served():
    store = RepoStore()
    commit = store.add_files("acme/tiny", REPO_FILES)
    with HubServer(store) as srv:
        yield SimpleNamespace(srv=srv, store=store, commit=commit)
    store.close()


@pytest.fixture
def pulled(served, tmp_path, fast):
    """A folder pulled from the hub (manifest and stamps written), and the hub with a clean log."""
    dest = tmp_path / "m"
    assert pull(PullRequest(repo="acme/tiny", source="hf", dest=dest, endpoints=(served.srv.endpoint,))).ok
    served.srv.clear_faults()
    served.srv.reset_log()
    return SimpleNamespace(dest=dest, srv=served.srv, store=served.store)


def verify_json(folder, *args):
    result = cli("verify", str(folder), "--json", *args)
    return result.returncode, json.loads(result.stdout), result.stderr


def statuses(report):
    return {f["path"]: f["status"] for f in report["files"]}


def test_an_intact_folder_verifies_with_exit_0(pulled):
    code, report, _ = verify_json(pulled.dest)
    assert code == 0 and report["ok"]
    assert set(statuses(report).values()) == {"ok"} and set(statuses(report)) == set(REPO_FILES)
    assert report["bytes_hashed"] == sum(map(len, REPO_FILES.values()))


def test_one_flipped_byte_in_the_middle_of_a_large_file_is_named(pulled):
    path = pulled.dest / BIG
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(size // 2)
        byte = f.read(1)
        f.seek(size // 2)
        f.write(bytes([byte[0] ^ 0x01]))
    code, report, err = verify_json(pulled.dest)
    assert code == ExitCode.INTEGRITY and not report["ok"]
    assert statuses(report)[BIG] == "hash_mismatch"
    assert [p for p, s in statuses(report).items() if s != "ok"] == [BIG]
    assert BIG in err and err.count("\n") == 1


def test_truncated_deleted_and_added_files_are_each_reported(pulled):
    (pulled.dest / "sub/dir/weights.bin").write_bytes(REPO_FILES["sub/dir/weights.bin"][:1000])
    (pulled.dest / "README.md").unlink()
    (pulled.dest / "notes-of-mine.txt").write_text("extra")
    code, report, _ = verify_json(pulled.dest)
    got = statuses(report)
    assert code == ExitCode.INTEGRITY
    assert got["sub/dir/weights.bin"] == "size_mismatch" and got["README.md"] == "missing"
    assert got["notes-of-mine.txt"] == "extra"
    assert not any(p.startswith(".hubctl") for p in got)  # hubctl's own folder is never an extra


def test_extras_fail_only_with_strict(pulled):
    (pulled.dest / "extra.bin").write_bytes(b"x")
    assert verify_json(pulled.dest)[0] == 0
    code, report, _ = verify_json(pulled.dest, "--strict")
    assert code == ExitCode.INTEGRITY and statuses(report)["extra.bin"] == "extra"


@pytest.mark.parametrize(
    "tamper, reason",
    [
        (lambda m: m["files"][0].update(size=m["files"][0]["size"] + 1), "files_digest does not match"),
        (lambda m: m["files"].pop(), "files_digest does not match"),
        (lambda m: m.update(schema_version=7), "unsupported schema_version"),
    ],
)
def test_a_tampered_manifest_is_reported_as_such(pulled, tamper, reason):
    manifest = pulled.dest / ".hubctl" / "manifest.json"
    data = json.loads(manifest.read_text())
    tamper(data)
    manifest.write_text(json.dumps(data))
    result = cli("verify", str(pulled.dest))
    assert result.returncode == ExitCode.MANIFEST and reason in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_malformed_or_missing_manifest_is_a_manifest_error(pulled, tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    for args in (["--manifest", str(tmp_path / "bad.json")], ["--manifest", str(tmp_path / "none.json")]):
        result = cli("verify", str(pulled.dest), *args)
        assert result.returncode == ExitCode.MANIFEST and result.stderr.startswith("hubctl: error:")


def test_an_external_trusted_lockfile_is_used(pulled, tmp_path):
    lock = tmp_path / "lock.json"
    lock.write_bytes((pulled.dest / ".hubctl" / "manifest.json").read_bytes())
    (pulled.dest / ".hubctl" / "manifest.json").unlink()  # the folder's own copy is gone or untrusted
    code, report, _ = verify_json(pulled.dest, "--manifest", str(lock))
    assert code == 0 and report["manifest"] == str(lock)


def test_quick_trusts_untouched_files_and_rehashes_a_touched_one(pulled):
    assert verify_json(pulled.dest)[0] == 0  # a full verify refreshes the stamps
    code, report, _ = verify_json(pulled.dest, "--quick")
    assert code == 0 and report["bytes_hashed"] == 0
    os.utime(pulled.dest / BIG)  # touch: same bytes, new mtime
    code, report, _ = verify_json(pulled.dest, "--quick")
    assert code == 0 and report["bytes_hashed"] == len(REPO_FILES[BIG])
    with open(pulled.dest / "config.json", "r+b") as f:  # a same-size edit changes mtime/ctime too
        f.write(b"X")
    code, report, _ = verify_json(pulled.dest, "--quick")
    assert code == ExitCode.INTEGRITY and statuses(report)["config.json"] == "hash_mismatch"


def test_quick_reads_one_stamp_index_written_by_a_full_verify(pulled):
    assert verify_json(pulled.dest)[0] == 0
    shutil.rmtree(pulled.dest / ".hubctl" / "stamps")  # only the index is left to vouch for the files
    code, report, _ = verify_json(pulled.dest, "--quick")
    assert code == 0 and report["bytes_hashed"] == 0 and all(f.get("stamped") for f in report["files"])


def test_a_pull_after_verify_trusts_the_index_and_hashes_nothing(pulled, monkeypatch):
    """Verify writes one index, not a stamp per file; pull (and so --repair) must still find its stamps."""
    shutil.rmtree(pulled.dest / ".hubctl" / "stamps")
    assert verify_json(pulled.dest)[0] == 0
    assert not (pulled.dest / ".hubctl" / "stamps").exists()
    hashed = []
    monkeypatch.setattr("hubctl.download.pull.hash_path", lambda path, **kw: hashed.append(path))
    report = pull(PullRequest(repo="acme/tiny", source="hf", dest=pulled.dest, endpoints=(pulled.srv.endpoint,)))
    assert report.ok and hashed == [] and report.bytes_fetched == 0


@pytest.mark.parametrize(
    "garbage",
    [b"{not json", b"[1, 2]", b'{"version": 1, "stamps": {"config.json": 7}}', b'{"version": 99, "stamps": {}}'],
)
def test_a_corrupt_stamp_index_is_ignored_and_rewritten(pulled, garbage):
    assert verify_json(pulled.dest)[0] == 0
    shutil.rmtree(pulled.dest / ".hubctl" / "stamps")
    (pulled.dest / ".hubctl" / "stamps.json").write_bytes(garbage)
    code, report, _ = verify_json(pulled.dest, "--quick")
    assert code == 0 and report["bytes_hashed"] == sum(map(len, REPO_FILES.values()))  # nothing trusted
    assert verify_json(pulled.dest, "--quick")[1]["bytes_hashed"] == 0  # a valid index replaced it


def test_a_stale_or_foreign_index_entry_is_never_trusted(pulled):
    assert verify_json(pulled.dest)[0] == 0
    index = pulled.dest / ".hubctl" / "stamps.json"
    old = index.read_bytes()
    os.utime(pulled.dest / BIG)
    assert verify_json(pulled.dest, "--quick")[1]["bytes_hashed"] == len(REPO_FILES[BIG])
    index.write_bytes(old)  # an index from before the touch: its entry for BIG no longer matches the stat
    shutil.rmtree(pulled.dest / ".hubctl" / "stamps")
    assert verify_json(pulled.dest, "--quick")[1]["bytes_hashed"] == len(REPO_FILES[BIG])
    data = json.loads(index.read_text())
    data["stamps"]["config.json"][4] = "0" * 64  # matching stat, but not the manifest's sha256
    index.write_text(json.dumps(data))
    code, report, _ = verify_json(pulled.dest, "--quick")
    assert code == 0 and report["bytes_hashed"] == len(REPO_FILES["config.json"])


def test_quick_notices_a_same_size_edit_even_with_mtime_restored(pulled):
    assert verify_json(pulled.dest)[0] == 0
    path = pulled.dest / "config.json"
    before = path.stat()
    path.write_bytes(b"X" + REPO_FILES["config.json"][1:])
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ctime still moves
    code, report, _ = verify_json(pulled.dest, "--quick")
    assert code == ExitCode.INTEGRITY and statuses(report)["config.json"] == "hash_mismatch"


def test_a_file_written_while_hashed_gets_no_stamp(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    hashed = path.stat()
    os.utime(path, ns=(hashed.st_atime_ns, hashed.st_mtime_ns + 1))  # written after the stat, before the stamp
    assert write_stamp(tmp_path, "f.bin", sha256(b"old"), hashed=hashed) is None
    assert read_stamp(tmp_path, "f.bin") is None


def test_repair_refetches_only_the_damaged_file(pulled):
    with open(pulled.dest / BIG, "r+b") as f:
        f.seek(12345)
        f.write(b"\0\0\0")
    (pulled.dest / "README.md").unlink()
    code, report, _ = verify_json(pulled.dest, "--repair")
    assert code == 0 and report["ok"], report
    assert sorted(report["repaired"]) == sorted([BIG, "README.md"])
    assert tree_bytes(pulled.dest) == REPO_FILES
    bodies = [
        r
        for r in pulled.srv.log()
        if r.method == "GET" and r.status in (200, 206) and ("/cdn/" in r.path or "/resolve/" in r.path)
    ]
    fetched = {
        p for p, data in REPO_FILES.items() for r in bodies if sha256(data) in r.path or r.path.endswith("/" + p)
    }
    assert fetched == {BIG, "README.md"}


def test_repair_that_cannot_reach_any_endpoint_keeps_the_integrity_failure_visible(pulled):
    (pulled.dest / "README.md").unlink()
    result = cli("verify", str(pulled.dest), "--repair", "--endpoint", "http://127.0.0.1:9", "--quiet")
    assert result.returncode == ExitCode.NETWORK and "README.md" in result.stderr


def test_cold_verify_imports_neither_torch_nor_transformers(pulled):
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "hubctl", "verify", str(pulled.dest), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    modules = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert not {"torch", "transformers"} & modules and "hubctl.integrity.verify" in modules


def imported(*args):
    """Run `python -X importtime -m hubctl ARGS`; return (process, names of the modules it imported)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "hubctl", *args], capture_output=True, text=True)
    return proc, {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}


def test_verify_imports_its_own_command_only_and_nothing_heavy(pulled):
    proc, modules = imported("verify", str(pulled.dest), "--quick", "--quiet")
    assert proc.returncode == 0 and "hubctl.integrity.verify" in modules
    assert not {"torch", "transformers", "tqdm", "hubctl.download.pull"} & modules  # commands: see test_cli.py
    for args in (["--help"], ["verify", "--help"], ["verify", str(pulled.dest), "--repair", "--quiet"]):
        proc, modules = imported(*args)
        assert proc.returncode == 0 and not {"torch", "transformers"} & modules, args


# ---- reproducible pulls from a lockfile ----


def test_pull_from_a_lockfile_restores_the_pinned_files_via_the_other_hub(pulled, tmp_path):
    lock = tmp_path / "lock.json"
    lock.write_bytes((pulled.dest / ".hubctl" / "manifest.json").read_bytes())  # pinned from hf
    result = cli(
        "pull",
        "--manifest",
        str(lock),
        "--source",
        "modelscope",
        "--endpoint",
        pulled.srv.endpoint,
        "--dest",
        str(tmp_path / "restored"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert tree_bytes(tmp_path / "restored") == REPO_FILES
    restored = json.loads((tmp_path / "restored" / ".hubctl" / "manifest.json").read_text())
    assert restored["files_digest"] == json.loads(lock.read_text())["files_digest"]


def test_pull_from_a_lockfile_skips_files_already_verified(pulled):
    lock = pulled.dest / ".hubctl" / "manifest.json"
    result = cli("pull", "--manifest", str(lock), "--dest", str(pulled.dest), "--json")
    assert result.returncode == 0, result.stderr
    assert {f["status"] for f in json.loads(result.stdout)["files"]} == {"present"}
    assert not [r for r in pulled.srv.log() if r.status in (200, 206) and r.method == "GET" and "/cdn/" in r.path]


def test_pull_from_a_lockfile_fails_with_the_integrity_code_when_a_copy_differs(pulled, tmp_path):
    other = RepoStore()
    other.add_files("acme/tiny", {**REPO_FILES, "config.json": b'{"changed": true}\n'})
    lock = pulled.dest / ".hubctl" / "manifest.json"
    with HubServer(other) as srv:
        result = cli(
            "pull",
            "--manifest",
            str(lock),
            "--revision",
            "main",
            "--endpoint",
            srv.endpoint,
            "--dest",
            str(tmp_path / "x"),
        )
    other.close()
    assert result.returncode == ExitCode.INTEGRITY and "config.json" in result.stderr
    assert not (tmp_path / "x" / "config.json").exists()
