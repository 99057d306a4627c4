"""The built-in calibration and held-out texts are package data, parsed like a user's --calibration file:
pinned windows, no shared 8-word run between calibration and held-out text, shipped in the wheel."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import resources

import pytest
from chattools import real_model
from pulltools import ROOT

from hubctl.errors import UsageError
from hubctl.quantize.calibration import (
    CALIBRATION_DATA,
    HELDOUT_DATA,
    builtin_texts,
    digest,
    file_texts,
    heldout,
    parse_texts,
    windows,
)

# sha256 of the default windows (128 x 256 tokens, seed 0) with the SmolLM2 fixture's tokenizer, computed on the
# Python-string data at b26e773 before it became JSONL: the move must not change one calibration token.
DEFAULT_WINDOWS_SHA256 = "60b57825071e7b65a068ed8c7bb92d7acc53c95276dc3032f266136f8b0e4ed8"
HELDOUT_WINDOWS_SHA256 = "91b8b567c04b097c500cca9773b969fb4863a4d9f3d2e9f52b7442589c5b3cc1"  # 45 x 256, same commit


def _data(name: str) -> str:
    return resources.files("hubctl.quantize").joinpath("data", name).read_text(encoding="utf-8")


def _record_words(name: str) -> list[list[str]]:
    """Each record's words (chats: every message's content); a CJK character counts as a word."""
    out = []
    for line in _data(name).splitlines():
        row = json.loads(line)
        text = row["text"] if "text" in row else " ".join(m["content"] for m in row["messages"])
        out.append(re.findall(r"[a-z0-9']+|[\u3400-\u9fff]", text.lower()))
    return out


def _runs(records: list[list[str]], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for words in records for i in range(len(words) - n + 1)}


class _NoTemplate:
    """A tokenizer without a chat template (base models): chats fall back to a plain rendering."""

    chat_template = None


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(real_model())


@pytest.mark.real_model
def test_default_windows_are_pinned_to_the_fixture_tokenizer(tokenizer):
    assert digest(windows(tokenizer, builtin_texts(tokenizer), 128, 256, 0)) == DEFAULT_WINDOWS_SHA256
    assert digest(heldout(tokenizer, 256)) == HELDOUT_WINDOWS_SHA256


@pytest.mark.real_model
def test_the_builtin_set_is_parsed_like_a_users_jsonl_file(tokenizer, tmp_path):
    copy = tmp_path / "mine.jsonl"
    copy.write_text(_data(CALIBRATION_DATA), encoding="utf-8")
    assert file_texts(copy, tokenizer) == builtin_texts(tokenizer)
    chats = [t for t in builtin_texts(tokenizer) if "<|im_start|>assistant" in t]  # SmolLM2's own template
    assert len(chats) == sum('"messages"' in line for line in _data(CALIBRATION_DATA).splitlines()) > 0


def test_held_out_text_shares_no_8_word_run_with_the_calibration_text():
    calibration, held = _record_words(CALIBRATION_DATA), _record_words(HELDOUT_DATA)
    assert sum(map(len, calibration)) > 10_000 and sum(map(len, held)) > 3_000
    assert not _runs(calibration, 8) & _runs(held, 8)


def test_chats_in_a_users_file_fall_back_to_plain_text_without_a_chat_template(tmp_path):
    path = tmp_path / "cal.jsonl"
    chat = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
    ]
    path.write_text(json.dumps({"messages": chat}) + "\n\n" + json.dumps({"text": "plain"}) + "\n")
    assert file_texts(path, _NoTemplate()) == ["System: Be brief.\n\nUser: Hi\n\nAssistant: Hello.\n\n", "plain"]


@pytest.mark.parametrize(
    "line, why",
    [
        ('{"messages": "hi"}', "non-empty list"),
        ('{"messages": [{"role": "robot", "content": "x"}]}', "role"),
        ('{"messages": [{"role": "user", "content": 3}]}', "content"),
        ('{"text": 7}', "must be a string"),
        ('["text"]', "JSON object"),
        ('{"prompt": "x"}', 'no "text" or "messages"'),
        ("{not json", "expected"),
    ],
)
def test_a_malformed_record_is_a_usage_error_naming_the_line(line, why):
    with pytest.raises(UsageError, match=rf"cal\.jsonl:2: .*{re.escape(why)}"):
        parse_texts('{"text": "fine"}\n' + line + "\n", True, "cal.jsonl", _NoTemplate())


def test_plain_files_are_paragraphs_and_an_empty_one_is_refused():
    assert parse_texts("one\nline\n\n\n\ntwo\n", False, "a.txt", _NoTemplate()) == ["one\nline", "two\n"]
    with pytest.raises(UsageError, match="holds no text"):
        parse_texts("\n\n  \n", False, "a.txt", _NoTemplate())


@pytest.mark.slow
def test_the_wheel_ships_the_data_files(tmp_path):
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in the checkout.
    src = tmp_path / "src"
    shutil.copytree(ROOT / "hubctl", src / "hubctl", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("hubctl-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for name in (CALIBRATION_DATA, HELDOUT_DATA):
            assert archive.read(f"hubctl/quantize/data/{name}").decode("utf-8") == _data(name)
        assert not any(n.endswith("calibration_data.py") for n in archive.namelist())
