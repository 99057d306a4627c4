"""hubctl manifest: lockfiles of local folders, their in-toto export, cross-checked with OpenSSF model_signing;
and the committed lockfile of the real test model, which proves the fixture build is deterministic."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from pulltools import ROOT, cli, rng_bytes, sha256

from hubctl.errors import ExitCode
from hubctl.integrity.localmanifest import manifest_for_folder, to_in_toto
from hubctl.integrity.manifest import Manifest, read_manifest

#: Names chosen so that string order ("a-b" < "a.txt" < "a/b") differs from path-component order
#: ("a/b" first), which is the order model_signing uses for its resources and subject digest.
FILES = {
    "config.json": b'{"model_type": "llama"}\n',
    "model.safetensors": rng_bytes(11, 5 << 20),
    "a-b": b"dash\n",
    "a.txt": b"dot\n",
    "a/b": b"nested\n",
    "sub/dir/notes.txt": "unicode 模型\n".encode(),
    "empty.bin": b"",
}
LOCKFILE = ROOT / "manifests" / "smollm2-135m-instruct.json"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "my-finetune"
    for rel, data in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def model_signing_manifest(folder: Path):
    """model_signing's own manifest of folder: default config (git paths ignored) plus hubctl's state dir."""
    from model_signing import hashing

    return hashing.Config().set_ignored_paths(paths=[".hubctl"]).hash(folder)


def test_manifest_round_trips_and_verify_passes_right_after(folder):
    result = cli("manifest", str(folder), "--name", "acme/tuned")
    assert result.returncode == 0, result.stderr
    assert "7 files" in result.stdout and result.stdout.count("\n") == 1
    manifest = read_manifest(folder / ".hubctl" / "manifest.json")
    assert manifest.source == "local" and manifest.repo == "acme/tuned" and manifest.commit is None
    assert {f.path: f.sha256 for f in manifest.files} == {k: sha256(v) for k, v in FILES.items()}
    assert manifest.digest in result.stdout
    assert Manifest.from_json(manifest.to_json()) == manifest
    assert manifest_for_folder(folder, "acme/tuned").files == manifest.files

    verified = cli("verify", str(folder), "--strict")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    (folder / "a/b").write_bytes(b"edited\n")
    assert cli("verify", str(folder)).returncode == ExitCode.INTEGRITY


def test_manifest_validates_against_the_published_schema(folder, tmp_path):
    import jsonschema

    out = tmp_path / "lock.json"
    assert cli("manifest", str(folder), "--out", str(out), "--quiet").returncode == 0
    schema = json.loads((ROOT / "manifests" / "manifest.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(out.read_text()))
    assert not (folder / ".hubctl").exists()


@pytest.mark.parametrize("kind", ["file", "dir", "dangling"])
def test_a_symlink_inside_the_folder_is_refused_with_exit_7(folder, tmp_path, kind):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "weights.bin").write_bytes(b"elsewhere")
    target = {"file": outside / "weights.bin", "dir": outside, "dangling": outside / "gone"}[kind]
    os.symlink(target, folder / "sub" / "link")
    result = cli("manifest", str(folder))
    assert result.returncode == ExitCode.LOCAL_IO
    assert "sub/link" in result.stderr and "symlink" in result.stderr and result.stderr.count("\n") == 1
    assert not (folder / ".hubctl").exists()


def test_a_missing_folder_or_unknown_format_is_one_line(tmp_path, folder):
    missing = cli("manifest", str(tmp_path / "nope"))
    assert missing.returncode == ExitCode.LOCAL_IO and missing.stderr.count("\n") == 1
    bad = cli("manifest", str(folder), "--format", "spdx")
    assert bad.returncode == ExitCode.USAGE and "in-toto" in bad.stderr


def test_in_toto_export_matches_the_manifest_and_model_signing(folder):
    result = cli("manifest", str(folder), "--format", "in-toto")
    assert result.returncode == 0, result.stderr
    statement = json.loads(result.stdout)  # stdout is the statement only; the summary went to stderr
    assert "files_digest" in result.stderr and not (folder / ".hubctl").exists()
    manifest = manifest_for_folder(folder)

    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://model_signing/signature/v1.0"
    assert statement["subject"][0]["name"] == "my-finetune"
    resources = statement["predicate"]["resources"]
    assert len(resources) == len(manifest.files) == len(FILES)
    assert {r["name"]: r["digest"] for r in resources} == {f.path: f.sha256 for f in manifest.files}
    assert {r["algorithm"] for r in resources} == {"sha256"}
    names = [r["name"] for r in resources]
    assert names.index("a/b") < names.index("a-b") < names.index("a.txt")  # path-component order

    from google.protobuf import json_format
    from model_signing._signing import signing

    theirs = json.loads(json_format.MessageToJson(signing.Payload(model_signing_manifest(folder)).statement.pb))
    assert statement["subject"] == theirs["subject"]  # same name, same root digest
    assert resources == theirs["predicate"]["resources"]  # same order too
    ours_ser, their_ser = statement["predicate"]["serialization"], theirs["predicate"]["serialization"]
    assert sorted(ours_ser.pop("ignore_paths")) == sorted(their_ser.pop("ignore_paths")) and ours_ser == their_ser
    # What a model_signing verifier does once the signature checks out: rebuild the manifest from the
    # payload (this also recomputes the subject digest and refuses a mismatch) and compare with a re-hash.
    assert signing.dsse_payload_to_manifest(statement) == model_signing_manifest(folder)


def test_in_toto_leaves_out_git_metadata_like_model_signing(folder, tmp_path):
    (folder / ".gitattributes").write_text("*.safetensors filter=lfs\n")
    manifest = manifest_for_folder(folder)
    assert ".gitattributes" in {f.path for f in manifest.files}  # the lockfile has every file
    statement = to_in_toto(manifest, "m")
    assert ".gitattributes" not in {r["name"] for r in statement["predicate"]["resources"]}
    assert ".gitattributes" in statement["predicate"]["serialization"]["ignore_paths"]

    from model_signing._signing import signing

    assert signing.dsse_payload_to_manifest(statement) == model_signing_manifest(folder)
    out = tmp_path / "statement.json"
    assert cli("manifest", str(folder), "--format", "in-toto", "--out", str(out), "-q").stdout == ""
    assert json.loads(out.read_text())["subject"][0]["digest"] == statement["subject"][0]["digest"]


def test_model_signing_computes_the_same_per_file_sha256(folder):
    """Cross-check with the real model-signing package: its file serializer, hashing only (no signing)."""
    from model_signing import hashing

    theirs = {
        d.identifier: (d.digest.algorithm, d.digest.digest_hex)
        for d in hashing.Config()
        .set_ignored_paths(paths=[], ignore_git_paths=False)
        .hash(folder)
        .resource_descriptors()
    }
    ours = {f.path: ("sha256", f.sha256) for f in manifest_for_folder(folder).files}
    assert theirs == ours


@pytest.mark.real_model
def test_committed_lockfile_verifies_the_real_model_built_here():
    """The fixture build is deterministic: on this machine it yields exactly the bytes the lockfile pins."""
    from smollm2 import build

    model_dir = build()
    state = model_dir / ".hubctl"
    had_state = state.exists()
    try:
        result = cli("verify", str(model_dir), "--manifest", str(LOCKFILE))
    finally:
        if not had_state:  # verify leaves stamps there, and the build script counts them as model files
            shutil.rmtree(state, ignore_errors=True)
    assert result.returncode == 0, result.stdout + result.stderr
    lock = read_manifest(LOCKFILE)
    assert lock.source == "local" and lock.repo == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert "model.safetensors" in {f.path for f in lock.files}
