"""Partial files: progress survives a crash (journal never claims unwritten bytes) and hashing follows order."""

import hashlib
import os

from hubctl.download.partial import PartialFile, partial_path, stale_partials
from hubctl.download.transfer import _Frontier
from hubctl.integrity.hashing import StreamHasher


def test_multipart_progress_survives_reopen(tmp_path):
    data = os.urandom(10_000)
    path = tmp_path / "f.bin.x.hubctl-partial"
    part = PartialFile(path, len(data), 3000)
    assert [p.end - p.start for p in part.pieces] == [3000, 3000, 3000, 1000]
    part.write(part.pieces[2], memoryview(data[6000:7500]))
    part.write(part.pieces[0], memoryview(data[0:3000]))
    part.close()  # like kill -9: no flush of anything beyond the pwrite calls already made

    again = PartialFile(path, len(data), None)  # piece size comes back from the journal
    assert again.multipart and again.piece_size == 3000
    assert [p.done for p in again.pieces] == [3000, 0, 1500, 0]
    assert again.bytes_present() == 4500
    again.close()


def test_single_stream_partial_becomes_pieces_by_length(tmp_path):
    path = tmp_path / "g.bin.y.hubctl-partial"
    path.write_bytes(b"a" * 4500)
    part = PartialFile(path, 10_000, 3000)
    assert [p.done for p in part.pieces] == [3000, 1500, 0, 0]
    part.close()


def test_frontier_hashes_in_file_order_whatever_the_write_order(tmp_path):
    data = os.urandom(50_000)
    part = PartialFile(tmp_path / "h.hubctl-partial", len(data), 8192)
    frontier = _Frontier(part, StreamHasher(len(data)))
    for piece in reversed(part.pieces):  # last piece first: nothing can be hashed until piece 0 lands
        chunk = memoryview(data[piece.start : piece.end])
        part.write(piece, chunk)
        frontier.advance(chunk, piece.start)
    frontier.advance()
    assert frontier.hashed == len(data)
    assert frontier.hasher.digests().sha256 == hashlib.sha256(data).hexdigest()
    part.close()


def test_partials_of_other_content_are_found_as_stale(tmp_path):
    final = tmp_path / "model.bin"
    keep = partial_path(final, "a" * 64)
    old = partial_path(final, "b" * 64)
    old.write_bytes(b"old")
    (tmp_path / (old.name + ".pieces")).write_bytes(b"j")
    keep.write_bytes(b"new")
    (tmp_path / "model.bin.txt").write_bytes(b"unrelated")
    assert sorted(p.name for p in stale_partials(final, keep)) == sorted([old.name, old.name + ".pieces"])
