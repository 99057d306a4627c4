"""HUBCTL_* settings: read once, validated (a malformed value is exit 2 naming the variable), passed down."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from pulltools import cli

from hubctl.errors import ExitCode, UsageError
from hubctl.settings import KNOBS, Settings, current, overridden

README = Path(__file__).resolve().parent.parent / "README.md"

#: Per kind of variable: values outside what it accepts.
BAD = {int: ["abc", "1.5", "nan", ""], float: ["abc", "inf", "nan", "1e999"], bool: ["maybe", "2"]}


def malformed(name: str) -> list[str]:
    knob = KNOBS[name]
    values = [v for v in BAD[knob.kind] if v]
    if knob.low is not None:
        values.append(str(int(knob.low) - 1))
        if knob.strict:
            values.append(str(int(knob.low)))
    return values


def test_every_field_has_a_variable_and_the_defaults_are_the_fields_defaults():
    assert set(KNOBS) == {f.name for f in dataclasses.fields(Settings)}
    assert all(k.variable.startswith("HUBCTL_") for k in KNOBS.values())
    assert Settings.from_env({}) == Settings() == Settings.from_env({k.variable: "  " for k in KNOBS.values()})


def test_values_are_parsed_by_kind():
    env = {
        "HUBCTL_RETRIES": "7",
        "HUBCTL_STALL_TIMEOUT": "2.5",
        "HUBCTL_DEBUG": "yes",
        "HUBCTL_DISK_MARGIN": "-5",
        "HUBCTL_BACKOFF_BASE": "0",
        "HUBCTL_LOCK_WAIT": "0",
    }
    settings = Settings.from_env(env)
    assert (settings.retries, settings.stall_timeout, settings.debug, settings.disk_margin) == (7, 2.5, True, -5)
    assert (
        settings.backoff_base == 0
        and settings.lock_wait == 0
        and Settings.from_env({"HUBCTL_DEBUG": "0"}).debug is False
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.retries = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", sorted(KNOBS))
def test_a_malformed_value_is_a_usage_error_naming_the_variable_and_the_range(name):
    knob = KNOBS[name]
    for value in malformed(name):
        with pytest.raises(UsageError) as info:
            Settings.from_env({knob.variable: value})
        assert info.value.exit_code == ExitCode.USAGE
        assert knob.variable in info.value.message and knob.accepted() in info.value.message, value


@pytest.mark.parametrize("name", sorted(KNOBS))
def test_the_cli_exits_2_with_one_line_for_each_malformed_variable(name, tmp_path):
    variable, value = KNOBS[name].variable, malformed(name)[0]
    result = cli("verify", str(tmp_path), "--json", env={variable: value}, timeout=60)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"hubctl: error: {variable}=")
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 2 and variable in error["message"] and "Traceback" not in result.stderr


def test_current_is_read_once_and_overridden_restores_it(monkeypatch):
    before = current()
    monkeypatch.setenv("HUBCTL_RETRIES", "abc")  # read once: a later change of the environment is not seen
    assert current() is before
    fast = Settings(retries=2)
    with overridden(fast):
        assert current() is fast
    assert current() is before


def test_settings_are_passed_down_to_the_request_session_lease_and_transfer(tmp_path):
    from hubctl.download.http import Session
    from hubctl.download.locks import Lease
    from hubctl.download.pull import PullRequest
    from hubctl.download.transfer import Options

    mine = Settings(retries=9, lock_stale=7.0, workers=3, connections=2, lock_wait=11.0, piece_size=5)
    assert Session(settings=mine).settings is mine and Lease(tmp_path / "l", settings=mine).stale_after == 7.0
    assert Options(settings=mine).settings is mine
    with overridden(mine):
        request = PullRequest(repo="a/b", source="hf", dest=tmp_path, endpoints=("http://127.0.0.1:9",))
        assert (request.settings, request.workers, request.connections, request.lock_wait) == (mine, 3, 2, 11.0)
        assert Options().retries == 9 and Options().piece_size == 5 and Session().settings is mine


def test_the_readme_documents_every_variable_with_its_default_and_range():
    section = README.read_text(encoding="utf-8").split("\n## Environment variables\n", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip(" `"): line for line in section.splitlines() if line.startswith("| `HUBCTL_")}
    assert set(rows) == {k.variable for k in KNOBS.values()}
    for knob in KNOBS.values():
        assert f"({knob.accepted()})" in rows[knob.variable], knob.variable
