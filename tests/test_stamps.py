"""Stamp logs (integrity/stamps.py): a pull appends one line per verified file to its own log and folds the
logs into the folder's index once; a crash loses no stamp, and a stamp is trusted only while it matches the stat."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pulltools import REPO_FILES, sha256

from hubctl.download.pull import PullRequest, pull
from hubctl.integrity.stamps import StampLog, read_index, valid_stamp
from hubctl.server import HubServer, RepoStore


def _files(folder: Path, count: int) -> dict[str, bytes]:
    data = {f"f{i}.txt": f"content {i}\n".encode() for i in range(count)}
    for name, body in data.items():
        (folder / name).write_bytes(body)
    (folder / ".hubctl").mkdir(exist_ok=True)
    return data


def _logs(folder: Path) -> list[Path]:
    stamps = folder / ".hubctl" / "stamps"
    return sorted(stamps.glob("log-*.jsonl")) if stamps.exists() else []


def test_a_log_is_read_before_its_fold_and_folded_into_the_index_once(tmp_path):
    data = _files(tmp_path, 3)
    log = StampLog(tmp_path)
    for name, body in data.items():
        assert log.record(name, sha256(body)) is not None
    assert len(_logs(tmp_path)) == 1 and not (tmp_path / ".hubctl" / "stamps.json").exists()
    assert {p: s.sha256 for p, s in read_index(tmp_path).items()} == {n: sha256(b) for n, b in data.items()}
    log.close()
    assert _logs(tmp_path) == []  # the log is gone, its stamps are in the index
    index = json.loads((tmp_path / ".hubctl" / "stamps.json").read_text())
    assert sorted(index["stamps"]) == sorted(data)
    assert set(read_index(tmp_path)) == set(data)


def test_a_crashed_pulls_log_is_trusted_line_by_line_and_a_torn_line_skipped(tmp_path):
    data = _files(tmp_path, 3)
    crashed = StampLog(tmp_path)  # never closed: the process was killed
    for name, body in data.items():
        crashed.record(name, sha256(body))
    with open(crashed.path, "ab") as f:
        f.write(b'["f9.txt", 1, 2\nnot json\n[1, 2, 3]\n["f0.txt"')  # a torn and some garbage lines
    found = read_index(tmp_path)
    assert set(found) == set(data)
    st = os.stat(tmp_path / "f0.txt")
    assert valid_stamp(tmp_path, "f0.txt", st, found).sha256 == sha256(data["f0.txt"])
    later = StampLog(tmp_path)  # the next pull folds every log, and removes only its own
    later.record("f1.txt", sha256(data["f1.txt"]))
    later.close()
    assert _logs(tmp_path) == [crashed.path]
    assert set(json.loads((tmp_path / ".hubctl" / "stamps.json").read_text())["stamps"]) == set(data)


def test_a_logged_stamp_is_void_once_the_file_changes_and_a_foreign_log_is_ignored(tmp_path):
    data = _files(tmp_path, 2)
    log = StampLog(tmp_path)
    log.record("f0.txt", sha256(data["f0.txt"]))
    log.record("f1.txt", sha256(data["f1.txt"]))
    (tmp_path / "f0.txt").write_bytes(b"other content\n")
    found = read_index(tmp_path)
    assert valid_stamp(tmp_path, "f0.txt", os.stat(tmp_path / "f0.txt"), found) is None
    header, *rows = log.path.read_bytes().splitlines()
    moved = json.loads(header)
    moved["folder"] = [moved["folder"][0], moved["folder"][1] + 1]  # a log copied in from another folder
    log.path.write_bytes(b"\n".join([json.dumps(moved).encode(), *rows]) + b"\n")
    assert read_index(tmp_path) == {}


def test_a_pull_writes_no_state_file_per_file_and_a_rerun_hashes_nothing(tmp_path, monkeypatch, fast):
    store = RepoStore()
    store.add_files("acme/tiny", REPO_FILES)
    with HubServer(store) as srv:
        dest = tmp_path / "dest"
        request = PullRequest(repo="acme/tiny", source="hf", dest=dest, endpoints=(srv.endpoint,))
        assert pull(request).ok
        assert list((dest / ".hubctl" / "stamps").iterdir()) == []  # one index, no stamp file per file
        assert set(read_index(dest)) == set(REPO_FILES)
        hashed = []
        monkeypatch.setattr("hubctl.download.pull.hash_path", lambda path, **kw: hashed.append(path))
        again = pull(request)
        assert again.ok and hashed == [] and again.bytes_fetched == 0
    store.close()
