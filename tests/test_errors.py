"""Exit codes: the README's table is the code's (names, numbers, meanings), and each code has one error class."""

from __future__ import annotations

import re
from pathlib import Path

from hubctl import errors
from hubctl.errors import MEANINGS, ExitCode, HubctlError

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\| (\d+) \| `([A-Z_]+)` \| (.+) \|$")


def readme_table() -> list[tuple[int, str, str]]:
    """The rows of the table under `## Exit codes`, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| code")]
    parsed = [ROW.match(line) for line in rows]
    assert all(parsed), [line for line, m in zip(rows, parsed) if not m]
    return [(int(m.group(1)), m.group(2), m.group(3)) for m in parsed]


def test_the_readme_exit_code_table_equals_the_code():
    assert readme_table() == [(int(code), code.name, MEANINGS[code]) for code in ExitCode]


def test_every_failing_exit_code_has_one_base_class():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, HubctlError)]
    by_code: dict[ExitCode, list[str]] = {}
    for cls in classes:
        by_code.setdefault(cls.exit_code, []).append(cls.__name__)
    # 0 is success and 130 is Ctrl-C (KeyboardInterrupt), not errors; every other code has exactly one class
    assert set(by_code) == set(ExitCode) - {ExitCode.OK, ExitCode.INTERRUPTED}
    assert all(len(names) == 1 for names in by_code.values()), by_code


def test_smoke_failure_is_the_smoke_error_and_a_non_model_folder_is_a_usage_error():
    from hubctl.model.loading import ModelLoadError
    from hubctl.model.smoke import SmokeFailure

    assert SmokeFailure is errors.SmokeError and SmokeFailure("x").exit_code == ExitCode.SMOKE == 10
    assert issubclass(ModelLoadError, errors.UsageError) and ModelLoadError("x").exit_code == 2
