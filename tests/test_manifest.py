"""Manifest round-trip, canonical digest, and precise rejection of edited or malformed lockfiles."""

import json

import pytest

from hubctl.errors import ExitCode, ManifestError
from hubctl.integrity.manifest import (
    Manifest,
    ManifestFile,
    files_digest,
    public_url,
    read_manifest,
    write_manifest,
)

FILES = (
    ManifestFile("b.bin", 3, "b" * 64),
    ManifestFile("a/config.json", 10, "a" * 64, "1" * 40),
)


def make(**kw) -> Manifest:
    base = {
        "source": "hf",
        "repo": "acme/tiny",
        "revision": "main",
        "commit": "c" * 40,
        "files": FILES,
        "endpoints": ("https://user:pw@hf-mirror.com/",),
    }
    base.update(kw)
    return Manifest(**base)


def test_round_trip_is_exact_and_canonical(tmp_path):
    m = make()
    assert Manifest.from_json(m.to_json()) == Manifest.from_json(Manifest.from_json(m.to_json()).to_json())
    again = Manifest.from_json(m.to_json())
    assert again.files == m.files and again.commit == m.commit and again.digest == m.digest
    assert [f.path for f in again.files] == ["a/config.json", "b.bin"]  # sorted
    write_manifest(m, tmp_path / "x" / "manifest.json")
    assert read_manifest(tmp_path / "x" / "manifest.json").to_json() == again.to_json()


def test_digest_depends_on_content_not_on_source_or_order():
    assert make().digest == make(source="modelscope", files=tuple(reversed(FILES))).digest
    assert make().digest != make(files=(FILES[0],)).digest
    assert files_digest(FILES).startswith("sha256:")


def test_endpoint_credentials_never_written():
    text = make().to_json()
    assert "pw" not in text and json.loads(text)["endpoints"] == ["https://hf-mirror.com"]
    assert public_url("http://127.0.0.1:8080/x/?token=1") == "http://127.0.0.1:8080/x"


@pytest.mark.parametrize(
    "edit, reason",
    [
        (lambda d: d["files"][0].update(size=11), "files_digest does not match"),
        (lambda d: d["files"].pop(), "files_digest does not match"),
        (lambda d: d["files"][0].update(sha256="zz"), "malformed entry"),
        (lambda d: d.pop("files"), "malformed"),
        (lambda d: d.update(schema_version=99), "unsupported schema_version"),
    ],
)
def test_edited_or_malformed_manifest_is_reported(edit, reason):
    data = json.loads(make().to_json())
    edit(data)
    with pytest.raises(ManifestError, match=reason) as info:
        Manifest.from_json(json.dumps(data))
    assert info.value.exit_code == ExitCode.MANIFEST


def test_not_json_is_a_manifest_error():
    with pytest.raises(ManifestError, match="not valid JSON"):
        Manifest.from_json("{nope")
