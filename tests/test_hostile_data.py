"""Hostile hubs and folders, data class: a listing that cannot be honoured is refused before the first byte,
and no final-named file ever holds bytes that were not proven (issue 17, points 7-11).

Each test runs `python -m hubctl pull` as a process against a hub that lists exactly what the test says,
asserting the exit code, one clean stderr line, nothing outside DEST touched, and no wrong final bytes.
"""

from __future__ import annotations

import json
import os

import pytest
from hostiletools import (
    HostileHub,
    Sandbox,
    assert_no_wrong_bytes,
    assert_one_line_error,
    git_entry,
    hubctl,
    lfs_entry,
)

from hubctl.download.partial import partial_path, stale_partials

WEIGHTS = os.urandom(50_000)
OTHER = os.urandom(50_000)


@pytest.fixture
def box(tmp_path):
    return Sandbox(tmp_path)


def pull(box: Sandbox, hub: HostileHub, *extra: str):
    return hubctl(box, "pull", "acme/tiny", "--endpoint", hub.endpoint, "--dest", str(box.dest), "-q", *extra)


# 7. Duplicate paths in a listing


def test_the_same_path_twice_with_the_same_content_is_merged(box):
    entries = [lfs_entry("w.bin", WEIGHTS), git_entry("a.txt", b"a"), lfs_entry("w.bin", WEIGHTS)]
    with HostileHub(entries, {"w.bin": WEIGHTS, "a.txt": b"a"}) as hub:
        run = pull(box, hub)
    assert run.code == 0, run.stderr
    manifest = json.loads((box.dest / ".hubctl" / "manifest.json").read_text())
    assert [f["path"] for f in manifest["files"]] == ["a.txt", "w.bin"]
    assert hubctl(box, "verify", str(box.dest), "-q").code == 0
    assert_no_wrong_bytes(box.dest, {"w.bin": WEIGHTS, "a.txt": b"a"})
    box.assert_outside_untouched()


@pytest.mark.parametrize("order", [0, 1])
def test_the_same_path_with_different_content_is_refused_before_downloading(box, order):
    pair = [lfs_entry("w.bin", WEIGHTS), lfs_entry("w.bin", OTHER)]
    entries = [git_entry("a.txt", b"a"), pair[order], pair[1 - order]]
    with HostileHub(entries, {"w.bin": WEIGHTS, "a.txt": b"a"}) as hub:
        run = pull(box, hub)
        fetched = [s.path for s in hub.seen if "/resolve/" in s.path]
    assert_one_line_error(run, 6, contains="'w.bin' twice")
    assert fetched == [] and not (box.dest / "w.bin").exists() and not (box.dest / "a.txt").exists()
    box.assert_outside_untouched()


# 8. An entry with no hash is never accepted


@pytest.mark.parametrize("prefilled", [False, True])
def test_an_unhashed_entry_is_never_accepted_present_or_downloaded(box, prefilled):
    data = b"weights without any hash"
    if prefilled:
        box.dest.mkdir()
        (box.dest / "w.bin").write_bytes(b"x" * len(data))  # same size, other bytes
    entries = [{"type": "file", "path": "w.bin", "size": len(data)}, git_entry("a.txt", b"a")]
    with HostileHub(entries, {"w.bin": data, "a.txt": b"a"}) as hub:
        run = pull(box, hub)
        fetched = [s.path for s in hub.seen if "/resolve/" in s.path and "w.bin" in s.path]
    assert_one_line_error(run, 6, contains="no hash")
    assert fetched == []
    assert not (box.dest / ".hubctl" / "manifest.json").exists()
    assert_no_wrong_bytes(box.dest, {"a.txt": b"a", **({"w.bin": b"x" * len(data)} if prefilled else {})})
    box.assert_outside_untouched()


@pytest.mark.parametrize("oid", ["../../outside/x", "a" * 63 + "/", "zz" * 32])
def test_a_malformed_hash_never_names_a_file(box, oid):
    entries = [lfs_entry("w.bin", WEIGHTS, lfs={"oid": oid, "size": len(WEIGHTS)})]
    with HostileHub(entries, {"w.bin": WEIGHTS}) as hub:
        run = pull(box, hub)
    assert run.code == 6 and "Traceback" not in run.stderr
    assert not (box.dest / "w.bin").exists()
    box.assert_outside_untouched()


# 9. Partials of X.anything survive the start of X


def test_starting_x_keeps_the_partial_of_x_dot_anything(box):
    box.dest.mkdir()
    index = b'{"weight_map": {}}\n' * 100
    other = partial_path(box.dest / "pytorch_model.bin.index.json", "ab" * 32)
    other.write_bytes(index[:500])  # another pull's download in progress
    directory = partial_path(box.dest / "pytorch_model.bin", "cd" * 32)
    directory.mkdir()  # a folder named like a stale partial of X
    stale = partial_path(box.dest / "pytorch_model.bin", "ef" * 32)
    stale.write_bytes(b"old revision")
    with HostileHub([lfs_entry("pytorch_model.bin", WEIGHTS)], {"pytorch_model.bin": WEIGHTS}) as hub:
        run = pull(box, hub)
    assert run.code == 0, run.stderr
    assert other.read_bytes() == index[:500] and directory.is_dir()
    assert not stale.exists()  # X's own partial of other content is cleaned up
    assert (box.dest / "pytorch_model.bin").read_bytes() == WEIGHTS
    box.assert_outside_untouched()


def test_two_pulls_into_one_folder_keep_each_others_partials(box):
    """A pull of X.index.json that is still running (its lock and partial present) and a pull of X."""
    files = {"pytorch_model.bin": WEIGHTS, "pytorch_model.bin.index.json": OTHER}
    entries = [lfs_entry(p, b) for p, b in files.items()]
    box.dest.mkdir()
    in_progress = partial_path(box.dest / "pytorch_model.bin.index.json", entries[1]["lfs"]["oid"])
    in_progress.write_bytes(OTHER[:1000])
    with HostileHub(entries, files) as hub:
        first = pull(box, hub, "--include", "pytorch_model.bin")
        assert first.code == 0, first.stderr
        assert in_progress.read_bytes() == OTHER[:1000]
        second = pull(box, hub, "--include", "pytorch_model.bin.index.json")
        ranges = [s for s in hub.seen if "index.json" in s.path and "/resolve/" in s.path]
    assert second.code == 0, second.stderr
    assert len(ranges) == 1  # resumed from the kept partial, not restarted
    assert_no_wrong_bytes(box.dest, files)


def test_stale_partials_match_exactly_their_own_file(tmp_path):
    final = tmp_path / "model.bin"
    keep = partial_path(final, "11" * 32)
    names = [
        keep.name,
        keep.name + ".pieces",
        "model.bin.2222222222222222.hubctl-partial",
        "model.bin.2222222222222222.hubctl-partial.pieces",
        "model.bin.index.json.3333333333333333.hubctl-partial",
        "model.bin.x.hubctl-partial",
        "model.bin.4444444444444444.hubctl-partial.old",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "model.bin.5555555555555555.hubctl-partial").mkdir()
    assert sorted(p.name for p in stale_partials(final, keep)) == [
        "model.bin.2222222222222222.hubctl-partial",
        "model.bin.2222222222222222.hubctl-partial.pieces",
    ]


# 10. `a` and `a/b` both listed as files


@pytest.mark.parametrize("order", [0, 1])
def test_a_file_that_is_also_a_folder_is_refused_up_front(box, order):
    pair = [git_entry("a", b"file a"), git_entry("a/b", b"file a/b")]
    with HostileHub([pair[order], pair[1 - order]], {"a": b"file a", "a/b": b"file a/b"}) as hub:
        run = pull(box, hub)
        fetched = [s.path for s in hub.seen if "/resolve/" in s.path]
    line = assert_one_line_error(run, 6)
    assert "'a'" in line and "'a/b'" in line and fetched == []
    box.assert_outside_untouched()


# 11. Long names


def test_a_legal_240_byte_name_is_pulled(box):
    name = "w" * 236 + ".bin"
    with HostileHub([lfs_entry(name, WEIGHTS)], {name: WEIGHTS}) as hub:
        run = pull(box, hub)
    assert run.code == 0, run.stderr
    assert_no_wrong_bytes(box.dest, {name: WEIGHTS})
    assert len(partial_path(box.dest / name, "ab" * 32).name.encode()) + len(".pieces") <= 255


@pytest.mark.parametrize("name", ["d" * 300 + "/w.bin", "w" * 256, "模" * 90 + ".bin"])
def test_a_name_the_file_system_cannot_hold_is_one_line(box, name):
    with HostileHub([lfs_entry(name, WEIGHTS)], {name: WEIGHTS}) as hub:
        run = pull(box, hub)
    assert_one_line_error(run, 7, contains="longer than the file system allows")
    box.assert_outside_untouched()
