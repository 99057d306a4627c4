"""Hostile hubs, lockfiles and folders, security class: no token leaves its trusted origin, no secret or
control character is printed, nothing outside DEST/DIR is read or written (issue 17, points 1-2 and 4-6).

Each test runs `python -m hubctl` as a process (bounded by RUN_TIMEOUT) and asserts the exit code, a one-line
stderr without traceback or secret, that the sentinel tree outside DEST was neither opened nor changed, and
that no final-named file holds wrong bytes.
"""

from __future__ import annotations

import json
import os

import pytest
from hostiletools import (
    HostileHub,
    Sandbox,
    assert_no_secret,
    assert_no_wrong_bytes,
    assert_one_line_error,
    git_entry,
    hubctl,
    lfs_entry,
    sha256,
)

from hubctl.download.auth import credentials
from hubctl.integrity.manifest import Manifest, ManifestFile
from hubctl.redact import add_secret, clean

TOKEN = "hf_HostileTestToken0123456789abcdefXYZ"
FILES = {"config.json": b'{"model_type": "llama"}\n', "model.safetensors": os.urandom(20_000)}


def listing(files: dict[str, bytes]) -> list[dict]:
    return [lfs_entry(p, b) if p.endswith(".safetensors") else git_entry(p, b) for p, b in files.items()]


@pytest.fixture
def box(tmp_path):
    return Sandbox(tmp_path)


def lockfile(box: Sandbox, endpoints: list[str], files: dict[str, bytes] = FILES) -> str:
    manifest = Manifest(
        source="hf",
        repo="acme/tiny",
        revision="main",
        commit="c0ffee" + "0" * 34,
        files=tuple(ManifestFile(p, len(b), sha256(b)) for p, b in files.items()),
        endpoints=tuple(endpoints),
    )
    path = box.root / "lock.json"
    path.write_text(manifest.to_json())
    return str(path)


# 1. A lockfile can send your token anywhere


def test_a_lockfiles_endpoint_never_gets_the_token(box):
    with HostileHub(listing(FILES), FILES) as evil:
        lock = lockfile(box, [evil.endpoint])
        run = hubctl(box, "pull", "--manifest", lock, "--dest", str(box.dest), "--quiet", env={"HF_TOKEN": TOKEN})
    assert run.code == 0, run.stderr
    assert evil.seen and all(a is None for a in evil.authorizations())
    notes = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(notes) == 1 and "used without credentials" in notes[0] and evil.endpoint in notes[0]
    assert_no_secret(run, (TOKEN,))
    assert_no_wrong_bytes(box.dest, FILES)
    box.assert_outside_untouched(allowed_new=(box.root / "lock.json",))


def test_verify_repair_sends_no_token_to_the_lockfiles_endpoint(box):
    with HostileHub(listing(FILES), FILES) as evil:
        lock = lockfile(box, [evil.endpoint])
        assert hubctl(box, "pull", "--manifest", lock, "--dest", str(box.dest), "-q").code == 0
        (box.dest / "model.safetensors").write_bytes(b"damaged")
        evil.seen.clear()
        run = hubctl(box, "verify", str(box.dest), "--repair", "--quiet", env={"HF_TOKEN": TOKEN})
    assert run.code == 0, run.stderr
    assert evil.seen and all(a is None for a in evil.authorizations())
    assert_no_secret(run, (TOKEN,))
    assert_no_wrong_bytes(box.dest, FILES)
    box.assert_outside_untouched(allowed_new=(box.root / "lock.json",))


def test_an_endpoint_mirror_gets_the_token_only_with_token_to(box):
    with HostileHub(listing(FILES), FILES) as mirror:
        plain = hubctl(
            box,
            "pull",
            "acme/tiny",
            "--endpoint",
            mirror.endpoint,
            "--dest",
            str(box.dest),
            "-q",
            env={"HF_TOKEN": TOKEN},
        )
        assert plain.code == 0 and all(a is None for a in mirror.authorizations())
        mirror.seen.clear()
        opted = hubctl(
            box,
            "pull",
            "acme/tiny",
            "--endpoint",
            mirror.endpoint,
            "--token-to",
            mirror.endpoint,
            "--dest",
            str(box.root / "dest2"),
            "-q",
            env={"HF_TOKEN": TOKEN},
        )
    assert opted.code == 0, opted.stderr
    assert set(mirror.authorizations()) == {f"Bearer {TOKEN}"}
    assert_no_secret(plain, (TOKEN,))
    assert_no_secret(opted, (TOKEN,))


def test_token_origins_are_the_hubs_own_the_environments_and_token_to(monkeypatch):
    for name in ("HF_ENDPOINT", "MODELSCOPE_ENDPOINT", "MODELSCOPE_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    endpoints = ["https://huggingface.co", "https://hf.co", "https://hf-mirror.com", "http://127.0.0.1:9"]
    assert set(credentials("hf", "t", endpoints)) == {"https://huggingface.co:443", "https://hf.co:443"}
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.com")
    assert "https://hf-mirror.com:443" in credentials("hf", "t", endpoints)
    assert "http://127.0.0.1:9" in credentials("hf", "t", endpoints, token_to=("http://127.0.0.1:9/",))
    ms = credentials("modelscope", "t", ["https://www.modelscope.ai", "https://modelscope.cn", "https://evil.cn"])
    assert "https://evil.cn:443" not in ms  # the hub's own origins only (auth.FIRST_PARTY)
    assert {"https://www.modelscope.ai:443", "https://modelscope.cn:443"} <= set(ms)
    assert credentials("hf", None, endpoints) == {}


def test_an_edited_lockfile_endpoint_is_harmless_and_still_verifies(box):
    """files_digest does not cover endpoints (same content, any hub); an edited endpoint gets no token and its
    bytes are checked against the pinned hashes: a lying mirror is exit 6 with no wrong byte kept."""
    lying = dict(FILES, **{"model.safetensors": os.urandom(20_000)})
    with HostileHub(listing(FILES), lying) as evil:
        run = hubctl(box, "pull", "--manifest", lockfile(box, [evil.endpoint]), "--dest", str(box.dest), "-q")
    assert_one_line_error(run, 6, contains="model.safetensors")
    assert_no_wrong_bytes(box.dest, FILES)
    assert not (box.dest / "model.safetensors").exists()


# 2. Secrets in output


@pytest.mark.parametrize("where", ["header", "body"])
def test_a_token_echoed_by_the_server_is_never_printed(box, where):
    message = f"invalid credentials: Bearer {TOKEN} (token={TOKEN})"
    headers = {"X-Error-Code": "GatedRepo", "X-Error-Message": message} if where == "header" else {}
    body = json.dumps({"error": message}).encode() if where == "body" else b""
    with HostileHub(error=(401, {"Content-Type": "application/json", **headers}, body)) as evil:
        for extra in ((), ("--json",)):
            run = hubctl(
                box,
                "pull",
                "acme/tiny",
                "--endpoint",
                evil.endpoint,
                "--token-to",
                evil.endpoint,
                "--dest",
                str(box.dest),
                "-q",
                *extra,
                env={"HF_TOKEN": TOKEN},
            )
            assert_one_line_error(run, 4, secrets=(TOKEN,))
            assert f"Bearer {TOKEN}" in evil.authorizations()  # sent (the user trusts it), never shown
    box.assert_outside_untouched()


def test_user_and_password_in_an_endpoint_never_appear(box):
    def with_password(url: str) -> str:
        return url.replace("http://", "http://alice:pa55word-XYZ@")

    with HostileHub(error=(404, {"X-Error-Code": "RepoNotFound"}, b"")) as gone:
        missing = hubctl(
            box,
            "pull",
            "acme/none",
            "--endpoint",
            with_password(gone.endpoint),
            "--dest",
            str(box.dest),
            "-q",
            "--json",
        )
    with HostileHub(listing(FILES), FILES) as hub:
        ok = hubctl(
            box, "pull", "acme/tiny", "--endpoint", with_password(hub.endpoint), "--dest", str(box.dest), "--json"
        )
    assert_one_line_error(missing, 3, secrets=("pa55word-XYZ", "alice"))
    assert ok.code == 0, ok.stderr
    assert_no_secret(ok, ("pa55word-XYZ", "alice"))
    state = b"".join(p.read_bytes() for p in (box.dest / ".hubctl").rglob("*") if p.is_file())
    assert b"pa55word-XYZ" not in state


def test_clean_redacts_and_escapes():
    add_secret("s3cr3t-value")
    text = clean("GET https://bob:pw@h.x/a said s3cr3t-value\n\x1b[31mhubctl: error: forged\u202e Bearer abcdef123")
    assert "pw" not in text and "s3cr3t-value" not in text and "abcdef123" not in text
    assert "\n" not in text and "\x1b" not in text and "\u202e" not in text and "\\x1b" in text
    plain = "pass --token or set the hub's token variable; basic configuration; hf_model.bin"
    assert clean(plain) == plain  # ordinary words are not mistaken for secrets


# 4. verify reads outside the folder


@pytest.mark.parametrize("entry", ["../outside/secret.txt", "{outside}/secret.txt", "sub/../../outside/secret.txt"])
@pytest.mark.parametrize("command", ["verify", "verify-quick", "pull"])
def test_manifest_entries_outside_the_folder_are_refused_before_any_read(box, entry, command):
    data = box.secret.read_bytes()
    path = entry.format(outside=box.outside)
    box.dest.mkdir()
    lock = lockfile(box, [], {path: data})
    args = {
        "verify": ("verify", str(box.dest), "--manifest", lock),
        "verify-quick": ("verify", str(box.dest), "--quick", "--manifest", lock),
        "pull": ("pull", "--manifest", lock, "--dest", str(box.dest), "-q"),
    }[command]
    run = hubctl(box, *args)
    assert_one_line_error(run, 9, contains="refusing")
    assert str(len(data)) not in run.stdout
    box.assert_outside_untouched(allowed_new=(box.root / "lock.json",))


@pytest.mark.parametrize("quick", [False, True])
def test_a_symlinked_parent_folder_is_never_followed_by_verify(box, quick):
    data = box.secret.read_bytes()
    box.dest.mkdir()
    (box.dest / "sub").symlink_to(box.outside)
    lock = lockfile(box, [], {"sub/secret.txt": data})
    run = hubctl(box, "verify", str(box.dest), "--manifest", lock, "--json", *(["--quick"] if quick else []))
    assert_one_line_error(run, 6, contains="symlink")
    report = json.loads(run.stdout)
    entry = next(f for f in report["files"] if f["path"] == "sub/secret.txt")
    assert entry == {
        "path": "sub/secret.txt",
        "status": "unsafe_path",
        "expected_size": len(data),
        "expected_sha256": sha256(data),
    }
    assert report["counts"].get("ok", 0) == 0
    box.assert_outside_untouched(allowed_new=(box.root / "lock.json",))


def test_repair_and_pull_refuse_to_write_through_a_symlinked_parent(box):
    data = FILES["model.safetensors"]
    with HostileHub(listing({"sub/model.safetensors": data}), {"sub/model.safetensors": data}) as hub:
        box.dest.mkdir()
        (box.dest / "sub").symlink_to(box.outside)
        run = hubctl(box, "pull", "acme/tiny", "--endpoint", hub.endpoint, "--dest", str(box.dest), "-q")
    assert_one_line_error(run, 7, contains="symlink")
    box.assert_outside_untouched()


def test_manifest_command_refuses_a_symlink_inside_the_folder(box):
    box.dest.mkdir()
    (box.dest / "a.txt").write_bytes(b"a")
    (box.dest / "link").symlink_to(box.secret)
    run = hubctl(box, "manifest", str(box.dest), "-q")
    assert_one_line_error(run, 7, contains="symlink")
    box.assert_outside_untouched()


# 5. State through symlinks


@pytest.mark.parametrize("part", [".hubctl", ".hubctl/locks", ".hubctl/stamps", ".hubctl/manifest.json"])
def test_state_reached_through_a_symlink_is_refused(box, part):
    target = box.outside / "state"
    if part.endswith(".json"):
        target.write_text("{}")
    else:
        target.mkdir()
    box.dest.mkdir()
    (box.dest / part).parent.mkdir(parents=True, exist_ok=True)
    (box.dest / part).symlink_to(target)
    box._before = box.picture()
    with HostileHub(listing(FILES), FILES) as hub:
        pull = hubctl(box, "pull", "acme/tiny", "--endpoint", hub.endpoint, "--dest", str(box.dest), "-q")
    assert_one_line_error(pull, 7, contains="symlink")
    verify = hubctl(box, "verify", str(box.dest), "--quick")
    assert_one_line_error(verify, 7, contains="symlink")
    manifest = hubctl(box, "manifest", str(box.dest), "-q")
    assert_one_line_error(manifest, 7)
    box.assert_outside_untouched()


# 6. Terminal injection


FORGED = "evil\n\x1b[31mhubctl: error: forged\x1b[0m\r\x07.bin"


def test_control_characters_in_names_are_escaped_in_progress_and_errors(box):
    files = {FORGED: b"right bytes", "ok.txt": b"fine\n"}
    with HostileHub(listing(files), {FORGED: b"wrong bytes", "ok.txt": b"fine\n"}) as hub:
        run = hubctl(box, "pull", "acme/tiny", "--endpoint", hub.endpoint, "--dest", str(box.dest))
    assert run.code == 6, run.stderr
    for char in "\x1b\r\x07":
        assert char not in run.stderr and char not in run.stdout
    starts = [line for line in run.stderr.splitlines() if line.startswith("hubctl: error:")]
    assert len(starts) == 1 and "forged" in starts[0] and "\\x1b" in starts[0]
    assert_no_wrong_bytes(box.dest, {"ok.txt": b"fine\n"})
    box.assert_outside_untouched()


def test_control_characters_in_verify_output_are_escaped(box):
    box.dest.mkdir()
    (box.dest / "a.txt").write_bytes(b"a")
    assert hubctl(box, "manifest", str(box.dest), "-q").code == 0
    (box.dest / "extra\n\x1b[2Jhubctl: error: x").write_bytes(b"x")
    run = hubctl(box, "verify", str(box.dest), "--strict")
    assert run.code == 6
    assert "\x1b" not in run.stdout + run.stderr
    assert len([line for line in run.stderr.splitlines() if line.strip()]) == 1
    assert all(not line.startswith("hubctl: error: x") for line in run.stdout.splitlines())


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://mirror", "http://127.0.0.1:99999", "mirror.example"])
def test_token_to_must_name_an_http_origin(box, url):
    run = hubctl(
        box, "pull", "acme/tiny", "--endpoint", "http://127.0.0.1:9", "--token-to", url, "--dest", str(box.dest), "-q"
    )
    assert_one_line_error(run, 2, contains="--token-to")
    assert not box.dest.exists()
