"""The command line: one parser, lazy command modules, one-line errors with documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pulltools import FAST_ENV, cli

from hubctl.cli.main import run, wants_json
from hubctl.cli.output import INTERRUPTED, one_line
from hubctl.errors import ExitCode
from hubctl.settings import Settings, overridden

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("pull", "verify", "manifest", "chat", "quantize", "serve")


def loaded_after(*args: str) -> tuple[int, set[str]]:
    """Run `hubctl ARGS` in a fresh interpreter; return its exit code and the modules it ended with."""
    code = (
        "import sys, json; from hubctl.cli.main import run; rc = run(sys.argv[1:]); "
        "sys.stdout.flush(); print('\\nMODULES=' + json.dumps(sorted(sys.modules))); sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, **FAST_ENV},
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("MODULES=")][-1]
    return proc.returncode, set(json.loads(line.removeprefix("MODULES=")))


@pytest.mark.parametrize(
    "args, says",
    [
        (["verify", "--bogus", "x"], "No such option: --bogus"),
        (["pull", "a/b", "--workers", "abc"], "Invalid value for '--workers'"),
        (["pull", "a/b", "--workers", "0"], "Invalid value for '--workers'"),
        (["verify"], "Missing argument"),
        (["quantize", "src"], "Missing option '--out'"),
        (["nope"], "No such command 'nope'"),
        (["verify", "x", "--manifest"], "requires an argument"),
    ],
)
def test_a_refused_command_line_is_one_line_and_exit_2_with_json_on_request(args, says):
    plain = cli(*args, timeout=60)
    assert plain.returncode == ExitCode.USAGE and plain.stdout == ""
    assert plain.stderr.count("\n") == 1 and plain.stderr.startswith("hubctl: error: ") and says in plain.stderr
    assert "╭" not in plain.stderr and "Usage:" not in plain.stderr
    as_json = cli(args[0], "--json", *args[1:], timeout=60)
    assert as_json.returncode == ExitCode.USAGE and as_json.stderr == plain.stderr
    error = json.loads(as_json.stdout)
    assert error["ok"] is False and error["error"]["exit_code"] == 2 and error["error"]["type"] == "UsageError"
    assert says in error["error"]["message"]


def test_wants_json_stops_at_the_end_of_options():
    assert wants_json(["verify", "x", "--json"]) and not wants_json(["verify", "--", "--json"])


def test_version_and_help_exit_0_and_no_arguments_print_the_help_with_exit_2():
    version = cli("--version", timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("hubctl ")
    helped = cli("--help", timeout=60)
    assert helped.returncode == 0 and all(name in helped.stdout for name in COMMANDS)
    bare = cli(timeout=60)
    assert bare.returncode == ExitCode.USAGE and "verify" in bare.stdout


def test_an_unexpected_exception_is_one_line_exit_1_and_the_traceback_only_with_debug(monkeypatch, capsys, tmp_path):
    import hubctl.integrity.verify

    def broken(*args, **kwargs):
        raise ValueError("boom\n\x1b[31mred")

    monkeypatch.setattr(hubctl.integrity.verify, "verify", broken)
    assert run(["verify", str(tmp_path)]) == ExitCode.ERROR
    err = capsys.readouterr().err
    assert err == "hubctl: internal error: ValueError: boom \\x1b[31mred (HUBCTL_DEBUG=1 shows the traceback)\n"
    with overridden(Settings(debug=True)):
        assert run(["verify", str(tmp_path)]) == ExitCode.ERROR
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "in broken" in err
    assert err.endswith("(HUBCTL_DEBUG=1 shows the traceback)\n")


def test_ctrl_c_exits_130_with_the_resume_message(monkeypatch, capsys, tmp_path):
    import hubctl.integrity.verify

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(hubctl.integrity.verify, "verify", interrupted)
    assert run(["verify", str(tmp_path), "--json"]) == ExitCode.INTERRUPTED == 130
    captured = capsys.readouterr()
    assert captured.err == INTERRUPTED + "\n" and captured.out == ""


def test_a_library_error_is_one_line_with_its_code_and_a_json_object(tmp_path):
    result = cli("verify", str(tmp_path), "--json", timeout=60)
    assert result.returncode == ExitCode.MANIFEST and result.stderr.count("\n") == 1
    assert json.loads(result.stdout)["error"]["exit_code"] == ExitCode.MANIFEST


def test_hostile_text_is_printed_on_one_printable_line():
    assert one_line("a\nb\r\n\tc \x1b[2J\x07 模型") == "a b c \\x1b[2J\\x07 模型"


def test_each_command_loads_only_its_own_module_and_start_up_stays_light(tmp_path):
    code, modules = loaded_after("verify", str(tmp_path), "--quiet")
    assert code == ExitCode.MANIFEST
    loaded = {m.rsplit(".", 1)[-1] for m in modules if m.startswith("hubctl.cli.commands.")}
    assert loaded == {"verify"}
    for args in (
        ["--help"],
        ["pull", "acme/x", "--endpoint", "http://127.0.0.1:9", "--dest", str(tmp_path / "p"), "--quiet"],
        ["manifest", str(tmp_path), "--out", str(tmp_path / "m.json"), "--quiet"],
        ["serve", str(tmp_path / "missing")],
    ):
        code, modules = loaded_after(*args)
        assert not {"torch", "transformers"} & modules, args
    assert code == ExitCode.USAGE and "hubctl.server" in modules  # serve refused the missing folder
    code, modules = loaded_after("--help")
    assert code == 0 and {f"hubctl.cli.commands.{name}" for name in COMMANDS} <= modules


def test_shared_options_are_declared_once():
    from hubctl.cli.app import group

    command = group()
    helps: dict[str, set[str]] = {}
    for name in COMMANDS:
        for param in command.get_command(None, name).params:
            for flag in param.opts:
                helps.setdefault(flag, set()).add(getattr(param, "help", None) or "")
    shared = ["--json", "--quiet", "--endpoint", "--token", "--source", "--device", "--workers"]
    assert all(len(helps[flag]) == 1 for flag in shared), {flag: helps[flag] for flag in shared}
    sources = {p.name: p.read_text() for p in (ROOT / "hubctl" / "cli" / "commands").glob("*.py")}
    for flag in shared:
        assert not [name for name, text in sources.items() if f'"{flag}"' in text], flag


@pytest.mark.parametrize(
    "size, shown",
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (999_949, "999.9 kB"),
        (999_960, "1.0 MB"),
        (204_800, "204.8 kB"),
        (999_900_000_000, "999.9 GB"),
        (1_234_500_000_000, "1.2 TB"),
        (5e15, "5,000.0 TB"),
    ],
)
def test_human_size_uses_decimal_units_up_to_tb(size, shown):
    from hubctl.progress import human_size

    assert human_size(size) == shown
