"""hubctl chat: the smoke gate, history that always fits, load-time refusals, and interactive use in a pty."""

from __future__ import annotations

import json
import os
import sys

import pexpect
import pytest
from chattools import real_model, tiny_model
from pulltools import cli

from hubctl.errors import ExitCode
from hubctl.model.conversation import Conversation, PromptTooLong, fit, render
from hubctl.model.loading import LoadOptions, load
from hubctl.model.smoke import degenerate


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def tokenizer(tiny):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny)


# ---- history that always fits ----


def test_history_is_trimmed_oldest_first_to_fit_prompt_plus_reply(tokenizer):
    conv = Conversation(turns=[(f"question {i} " * 10, f"answer {i} " * 10) for i in range(20)])
    ids, dropped = fit(tokenizer, conv, "the newest question", context=300, max_new_tokens=50)
    assert len(ids) <= 250 and dropped > 0
    kept = conv.turns[dropped:]
    text = tokenizer.decode(ids)
    assert "the newest question" in text and kept[0][0].strip() in text
    assert conv.turns[dropped - 1][1].strip() not in text  # the dropped turns are really gone
    assert len(render(tokenizer, conv.messages("the newest question", len(kept) + 1))) > 250  # one more would not fit


def test_a_message_too_long_for_the_context_is_refused_with_numbers(tokenizer):
    with pytest.raises(PromptTooLong, match="tokens") as info:
        fit(tokenizer, Conversation(), "word " * 500, context=256, max_new_tokens=64)
    assert info.value.exit_code == ExitCode.USAGE


def test_user_input_is_sent_as_typed(tokenizer):
    ids, _ = fit(tokenizer, Conversation(system=None), "  two  spaces\tand a tab  ", 512, 16)
    assert "  two  spaces\tand a tab  " in tokenizer.decode(ids)


def test_model_without_chat_template_gets_the_documented_plain_format(tiny, tmp_path):
    from transformers import AutoTokenizer

    folder = tmp_path / "no-template"
    folder.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_bytes((tiny / name).read_bytes())
    tok = AutoTokenizer.from_pretrained(folder)
    assert not tok.chat_template
    text = tok.decode(render(tok, Conversation(system="Be brief.").messages("Hi")))
    assert text == "System: Be brief.\n\nUser: Hi\n\nAssistant:"


# ---- the smoke gate ----


@pytest.mark.parametrize(
    "ids, hit_limit, verdict",
    [
        ((5,) * 12, False, "repeated 12 times"),
        ((1, 2, 3) * 14, True, "loops with a period of 3"),
        ((7, 8, 7, 9, 7, 10, 7, 11, 7, 12), True, "one token is 5 of the 10"),
        (tuple(range(64)), True, None),
        ((5,) * 11 + (6,), False, None),
    ],
)
def test_degenerate_replies_are_recognised(ids, hit_limit, verdict):
    result = degenerate(ids, hit_limit)
    assert (result is None) if verdict is None else (verdict in result)


@pytest.mark.real_model
def test_smoke_on_the_real_model_in_bf16_answers_paris():
    result = cli(
        "chat",
        str(real_model()),
        "--smoke",
        "--prompt",
        "What is the capital of France?",
        "--expect",
        "Paris",
        "--max-new-tokens",
        "16",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["dtype"] == "bfloat16" and report["device"] == "cpu"
    (only,) = report["prompts"]
    assert "Paris" in only["reply"] and only["tokens"] > 0 and only["ttft_s"] > 0 and only["tokens_per_s"] > 0
    assert report["load_seconds"] > 0 and report["peak_memory_bytes"] > 100 << 20


@pytest.mark.real_model
def test_smoke_fails_when_an_expected_answer_is_missing():
    result = cli(
        "chat",
        str(real_model()),
        "--smoke",
        "--dtype",
        "fp32",
        "--prompt",
        "What is the capital of France?",
        "--expect",
        "Berlin",
        "--max-new-tokens",
        "16",
    )
    assert result.returncode == ExitCode.SMOKE
    assert "no reply contains 'Berlin'" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("weights, reason", [("zeros", ""), ("nan", "NaN")])
def test_a_model_of_zeros_or_nan_loads_but_fails_the_smoke_test(tmp_path, weights, reason):
    folder = tiny_model(tmp_path / weights, weights)
    result = cli("chat", str(folder), "--smoke", "--dtype", "fp32", "--max-new-tokens", "24", "--json")
    assert result.returncode == ExitCode.SMOKE, result.stderr
    report = json.loads(result.stdout)
    assert not report["ok"] and all(not p["passed"] for p in report["prompts"])
    assert reason in result.stderr


# ---- refusals before loading ----


def test_remote_code_models_need_consent(tmp_path):
    folder = tmp_path / "internlm2"
    folder.mkdir()
    (folder / "config.json").write_text(
        json.dumps(
            {
                "model_type": "internlm2",
                "auto_map": {
                    "AutoConfig": "configuration_internlm2.InternLM2Config",
                    "AutoModelForCausalLM": "modeling_internlm2.InternLM2ForCausalLM",
                },
            }
        )
    )
    result = cli("chat", str(folder), "--smoke")
    assert result.returncode == ExitCode.USAGE
    assert "--trust-remote-code" in result.stderr and "modeling_internlm2.py" in result.stderr


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error(tiny):
    result = cli("chat", str(tiny), "--smoke", "--device", "cuda")
    assert result.returncode == ExitCode.USAGE and "no CUDA GPU" in result.stderr


def test_not_a_model_folder(tmp_path):
    result = cli("chat", str(tmp_path), "--smoke")
    assert result.returncode == ExitCode.USAGE and "no config.json" in result.stderr


def test_a_folder_that_fails_its_manifest_is_not_loaded(tiny, tmp_path):
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(tiny, folder)
    assert cli("manifest", str(folder), "--quiet").returncode == 0
    with open(folder / "model.safetensors", "r+b") as f:
        f.seek(-10, os.SEEK_END)
        f.write(b"\xff" * 4)
    result = cli("chat", str(folder), "--smoke", "--dtype", "fp32")
    assert result.returncode == ExitCode.INTEGRITY and "refusing to load" in result.stderr
    loud = cli("chat", str(folder), "--smoke", "--dtype", "fp32", "--no-verify", "--max-new-tokens", "4")
    assert "WARNING: --no-verify" in loud.stderr and "refusing to load" not in loud.stderr


def test_load_verifies_then_loads_with_the_context_from_the_config(tiny):
    loaded = load(tiny, LoadOptions(dtype="fp32", device="cpu"))
    assert loaded.context == 512 and loaded.stop_ids == (2,) and loaded.has_template


# ---- interactive, as a user drives it (a pty) ----


def spawn_chat(folder, *args):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "hubctl", "chat", str(folder), "--dtype", "fp32", "--greedy", *args],
        env=env,
        encoding="utf-8",
        timeout=120,
        dimensions=(40, 200),
    )


@pytest.mark.real_model
def test_interactive_chat_streams_remembers_resets_and_exits():
    child = spawn_chat(real_model(), "--max-new-tokens", "40")
    child.expect("/help for commands")
    child.expect(">>> ")
    child.sendline("What is the capital of France?")
    child.expect("Paris")
    child.expect(">>> ")
    child.sendline("Repeat the name of that city in one word.")  # needs the first answer
    child.expect(">>> ")
    assert "Paris" in child.before
    child.sendline("/reset")
    child.expect(r"\(conversation cleared\)")
    child.expect(">>> ")
    child.sendline("/help")
    child.expect("Ctrl-C stops the reply")
    child.expect(">>> ")
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_thirty_turns_in_a_tiny_context_keep_answering(tiny):
    child = spawn_chat(tiny, "--context", "160", "--max-new-tokens", "12")
    child.expect(">>> ")
    dropped_notices = 0
    for turn in range(30):
        child.sendline(f"Turn {turn}: name one animal.")
        index = child.expect([r"\(dropped the \d+ oldest turn", ">>> "])
        if index == 0:
            dropped_notices += 1
            child.expect(">>> ")
        assert "Traceback" not in child.before and "max_length" not in child.before
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and dropped_notices >= 20


@pytest.mark.real_model
def test_ctrl_c_stops_the_reply_not_the_program():
    child = spawn_chat(real_model(), "--max-new-tokens", "400")
    child.expect(">>> ")
    child.sendline("Write a long story about a dragon and a knight.")
    child.expect("a knight.\r\n")  # the terminal's echo of the line
    child.expect(r"\w+ \w+ \w+ ")  # the reply is streaming
    child.sendintr()
    child.expect(r"\(stopped\)")
    child.expect(">>> ")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
