"""The typer app: global options and the command table. A command's module is imported only when it runs.

`COMMANDS` maps each command name to its module under hubctl.cli.commands (pip's name -> module map), and
`LazyGroup` imports that module when click asks for the command, so `hubctl verify` never imports the code
of `quantize` (or anything it imports). Only `hubctl --help`, which lists every command, imports them all,
and they import typer and their own options only: heavy libraries load inside the command functions.

To add a command: write hubctl/cli/commands/<name>.py with `app = typer.Typer()` and one `@app.command()`
function, then add its line to `COMMANDS`.
"""

from __future__ import annotations

import functools
import importlib

import typer
from typer.core import TyperGroup

from hubctl import __version__

#: Command name -> module under hubctl.cli.commands, in the order `hubctl --help` lists them.
COMMANDS: dict[str, str] = {
    "pull": "pull",
    "verify": "verify",
    "manifest": "manifest",
    "chat": "chat",
    "quantize": "quantize",
    "serve": "serve",
}


class LazyGroup(TyperGroup):
    """A group whose commands are built from their modules on first use."""

    def list_commands(self, ctx: object) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: object, cmd_name: str):  # -> click.Command (typer's vendored click), or None
        return _load(cmd_name) if cmd_name in COMMANDS else None


@functools.cache
def _load(name: str):  # -> click.Command
    """The command `name`, built once from its module's one-command typer app."""
    command = typer.main.get_command(importlib.import_module(f"hubctl.cli.commands.{COMMANDS[name]}").app)
    command.name = name
    return command


def _version(value: bool) -> None:
    if value:
        print(f"hubctl {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=LazyGroup,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Verified, resumable model snapshots from Hugging Face, its mirrors and ModelScope.",
)


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """hubctl: pull, verify, quantize and smoke-test models, with SHA-256 lockfiles."""


def group() -> typer.core.TyperGroup:
    """The click group to invoke (typer builds it from `app`; the commands come from `LazyGroup`)."""
    built = typer.main.get_command(app)
    assert isinstance(built, LazyGroup)
    return built
