"""The process entry point (`hubctl`, `python -m hubctl`): settings, the parser, and how every run ends.

Invariant: whatever happens, the process exits with one documented exit code (README, "Exit codes") and says
why in at most one line, `hubctl: error: ...` on stderr (plus `{"ok": false, "error": {...}}` on stdout with
--json). It holds because `run` is the only caller of the parser and catches every outcome here: a command
line typer refuses (2), a malformed HUBCTL_* variable (2), a HubctlError (its code), Ctrl-C (130), and
anything else, which is a bug (1: one line, the traceback only with HUBCTL_DEBUG=1). Typer's own error
rendering (the framed box) is never reached because the group is invoked directly, not through its `main`.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from hubctl.cli.output import INTERRUPTED, Reported, one_line, report_error, report_usage
from hubctl.errors import ExitCode, HubctlError


def main() -> NoReturn:
    """Console script and `python -m hubctl`."""
    sys.exit(run(sys.argv[1:]))


def run(argv: Sequence[str]) -> int:
    """Run one command line; return the exit code."""
    as_json = wants_json(argv)
    try:
        from hubctl.settings import current

        current()  # validated before any command does work
        return _invoke(list(argv), as_json)
    except Reported as done:
        return report_error(done.error, as_json=False)
    except HubctlError as err:
        return report_error(err, as_json)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # `hubctl verify --json | head`: the reader left, nobody is left to tell
        _silence_stdout()
        return int(ExitCode.ERROR)
    except Exception as err:  # a bug: one line, and the traceback on request
        if _debug():
            traceback.print_exc()
        print(
            f"hubctl: internal error: {type(err).__name__}: {one_line(str(err))} (HUBCTL_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return int(ExitCode.ERROR)


def wants_json(argv: Sequence[str]) -> bool:
    """--json among the options (before a `--` that ends them)."""
    args = list(argv)
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def _invoke(argv: list[str], as_json: bool) -> int:
    """Parse and run; a parser refusal becomes a usage error (one line), --help and --version exit 0."""
    import typer

    from hubctl.cli.app import group

    click = _click_exceptions()
    command = group()
    try:
        with command.make_context("hubctl", argv) as ctx:
            command.invoke(ctx)
    except (typer.Exit, getattr(click, "Exit", typer.Exit)) as done:  # click's own Exit: older typer
        return int(done.exit_code)
    except getattr(click, "NoArgsIsHelpError", ()):  # click >= 8.2 (older ones print the help and exit 0)
        return int(ExitCode.USAGE)  # the help is already printed (no command given)
    except click.UsageError as err:
        where = err.ctx.command_path if err.ctx is not None else "hubctl"
        return report_usage(f"{err.format_message()} (see '{where} --help')", as_json)
    except click.ClickException as err:
        return report_usage(err.format_message(), as_json)
    return 0


def _click_exceptions():  # -> the module of click's exception classes
    """click's exceptions: typer vendors click as typer._click (0.2x), older typer uses click itself."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    return exceptions


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush does not fail on the broken pipe too."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _debug() -> bool:
    from hubctl.settings import current

    try:
        return current().debug
    except HubctlError:
        return False
