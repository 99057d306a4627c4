"""scripts/benchdoc.py: a benchmark's table replaces exactly its own section of docs/benchmarks.md."""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load():
    spec = importlib.util.spec_from_file_location("benchdoc", ROOT / "scripts" / "benchdoc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


benchdoc = _load()

DOC = """# Benchmarks

Intro text that must survive.

## verify

<!-- bench:verify:start -->
old verify table
<!-- bench:verify:end -->

Analysis after the table, also kept.

## pull

<!-- bench:pull:start -->
old pull table
<!-- bench:pull:end -->
"""


def test_replaces_only_its_own_section():
    new = benchdoc.replace_section(DOC, "verify", "| a |\n|---|\n| 1 |")
    before, after = DOC.split("<!-- bench:verify:start -->")[0], DOC.split("<!-- bench:verify:end -->")[1]
    assert new.startswith(before) and new.endswith(after)
    assert "old verify table" not in new and "| 1 |" in new and "old pull table" in new


def test_second_write_is_idempotent_and_replaces_the_first():
    once = benchdoc.replace_section(DOC, "pull", "first")
    twice = benchdoc.replace_section(once, "pull", "second")
    assert "first" not in twice and twice.count("second") == 1
    assert benchdoc.replace_section(twice, "pull", "second") == twice


def test_missing_section_is_appended_once():
    new = benchdoc.replace_section(DOC, "chat", "chat table")
    assert new.startswith(DOC) and new.endswith("<!-- bench:chat:start -->\nchat table\n<!-- bench:chat:end -->\n")
    assert benchdoc.replace_section(new, "chat", "chat table") == new
    assert benchdoc.replace_section("", "chat", "x") == "<!-- bench:chat:start -->\nx\n<!-- bench:chat:end -->\n"


@pytest.mark.parametrize(
    "text",
    [
        "<!-- bench:verify:start -->\nno end\n",
        "no start\n<!-- bench:verify:end -->\n",
        "<!-- bench:verify:end -->\n<!-- bench:verify:start -->\n",
        DOC + "<!-- bench:verify:start -->\nagain\n<!-- bench:verify:end -->\n",
    ],
)
def test_malformed_markers_are_refused(text):
    with pytest.raises(ValueError, match="verify"):
        benchdoc.replace_section(text, "verify", "new")


@pytest.mark.parametrize("body", ["<!-- bench:pull:end -->", "x\n<!-- bench:other:start -->\n"])
def test_a_body_with_markers_is_refused(body):
    with pytest.raises(ValueError, match="marker"):
        benchdoc.replace_section(DOC, "verify", body)


@pytest.mark.parametrize("name", ["", "Verify", "a b", "-x", "x:y"])
def test_bad_names_are_refused(name):
    with pytest.raises(ValueError, match="section name"):
        benchdoc.markers(name)


def test_write_section_is_atomic_and_leaves_no_temporary(tmp_path):
    doc = tmp_path / "docs" / "benchmarks.md"
    benchdoc.write_section("verify", "table one", doc)
    doc.write_text(doc.read_text() + "\nnotes by hand\n")
    benchdoc.write_section("verify", "table two", doc)
    assert doc.read_text() == "<!-- bench:verify:start -->\ntable two\n<!-- bench:verify:end -->\n\nnotes by hand\n"
    assert [p.name for p in doc.parent.iterdir()] == ["benchmarks.md"]


def test_a_refused_write_leaves_the_document_unchanged(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("<!-- bench:verify:start -->\nunterminated\n")
    with pytest.raises(ValueError):
        benchdoc.write_section("verify", "new", doc)
    assert doc.read_text() == "<!-- bench:verify:start -->\nunterminated\n"
    assert [p.name for p in tmp_path.iterdir()] == ["benchmarks.md"]


def test_table_escapes_cells_and_checks_widths():
    md = benchdoc.table(["tool", "s"], [["a|b", 1.5], ["line\nbreak", 2]])
    assert md.splitlines() == ["| tool | s |", "|---|---|", "| a\\|b | 1.5 |", "| line break | 2 |"]
    with pytest.raises(ValueError, match="2 headers"):
        benchdoc.table(["tool", "s"], [["only one"]])


def test_render_states_date_commit_machine_and_command():
    body = benchdoc.render("| t |", ["a note"], command="python scripts/bench_x.py --runs 1")
    assert re.search(r"on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC at commit \S+\.", body)
    assert "`python scripts/bench_x.py --runs 1`" in body and "cores" in body
    assert body.endswith("| t |\n\na note")


def test_git_commit_names_head_and_unknown_outside_git(tmp_path):
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    assert benchdoc.git_commit(ROOT).split("+")[0] == head
    assert benchdoc.git_commit(tmp_path) == "unknown"


def test_command_line_is_relative_to_the_repository():
    argv = [str(ROOT / "scripts" / "bench_verify.py"), "--scale", "0.25", "--json", "out file.json"]
    assert benchdoc.command_line(argv) == "python scripts/bench_verify.py --scale 0.25 --json 'out file.json'"


def test_publish_writes_unless_no_doc(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    benchdoc.add_arguments(parser)
    doc = tmp_path / "b.md"
    benchdoc.publish(parser.parse_args(["--doc", str(doc), "--no-doc"]), "quick", "| t |")
    assert not doc.exists()
    benchdoc.publish(parser.parse_args(["--doc", str(doc)]), "quick", "| t |", ["n"])
    text = doc.read_text()
    assert text.startswith("<!-- bench:quick:start -->\nGenerated by ")
    assert text.endswith("| t |\n\nn\n<!-- bench:quick:end -->\n")
    assert "wrote the quick table" in capsys.readouterr().out
