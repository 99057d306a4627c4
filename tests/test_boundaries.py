"""The package boundaries, checked on the source: every import of every module under hubctl/, including the
imports inside functions (where the heavy libraries are loaded), must respect the architecture.

- integrity/ and download/ import neither torch, transformers nor a CLI library (typer, click, rich):
  they are the library behind `pull` and `verify`, which start fast and run without the model extras;
- integrity/ never imports download/ (offline proofs do not depend on the network stack);
- server/ (the test double) imports nothing from the client side, so it cannot agree with a bug there;
- quantize/ never imports chat/ (what both need is in model/);
- the feature packages' __init__.py files are empty (a docstring at most), so importing a submodule costs
  only that submodule. hubctl/server/__init__.py is the one exception: it is the server's public API
  (HubServer, RepoStore, serve_folders), imported by the tests and, when it runs, by `hubctl serve` only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hubctl"
HEAVY = {"torch", "transformers"}
CLI_LIBRARIES = {"typer", "click", "rich"}
CLIENT_SIDE = {"download", "integrity", "cli", "model", "quantize", "chat"}
PUBLIC_INITS = {"hubctl/__init__.py", "hubctl/server/__init__.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module name an import statement in `source` names, at any depth (relative ones resolved)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def all_modules() -> dict[str, set[str]]:
    return {
        module_name(path): imports(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
        for path in sorted(PACKAGE.rglob("*.py"))
    }


MODULES = all_modules()


def top(name: str) -> str:
    return name.split(".")[0]


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def crossings(modules: dict[str, set[str]]) -> list[str]:
    """Each import that crosses a boundary, as `module imports name (rule)`."""
    found = []
    for module, names in modules.items():
        for name in sorted(names):
            rule = None
            library = in_package(module, "hubctl.integrity") or in_package(module, "hubctl.download")
            if library and top(name) in HEAVY | CLI_LIBRARIES:
                rule = "the library behind pull/verify stays light"
            if in_package(module, "hubctl.integrity") and in_package(name, "hubctl.download"):
                rule = "integrity never imports download"
            if in_package(module, "hubctl.server") and any(in_package(name, f"hubctl.{p}") for p in CLIENT_SIDE):
                rule = "the server imports nothing from the client side"
            if in_package(module, "hubctl.quantize") and in_package(name, "hubctl.chat"):
                rule = "quantize never imports chat (shared code is in model/)"
            if rule:
                found.append(f"{module} imports {name} ({rule})")
    return found


def test_no_module_crosses_a_boundary():
    assert crossings(MODULES) == []


def test_the_walk_sees_imports_inside_functions_and_every_package():
    assert {"hubctl.integrity", "hubctl.download", "hubctl.server", "hubctl.quantize", "hubctl.cli"} <= set(MODULES)
    assert "transformers" in MODULES["hubctl.model.loading"] or "torch" in MODULES["hubctl.model.loading"]
    assert "hubctl.download.repair" in MODULES["hubctl.cli.commands.verify"]  # imported inside a function


@pytest.mark.parametrize(
    "module, source, rule",
    [
        ("hubctl.integrity.scan", "def f():\n    import torch\n", "stays light"),
        ("hubctl.download.http", "from typer import Exit\n", "stays light"),
        ("hubctl.integrity.verify", "from hubctl.download.pull import pull\n", "integrity never imports download"),
        ("hubctl.server.app", "from hubctl.integrity import manifest\n", "client side"),
        ("hubctl.server.store", "from ..cli import main\n", "client side"),
        (
            "hubctl.quantize.pipeline",
            "def f():\n    from hubctl.chat.repl import repl\n",
            "quantize never imports chat",
        ),
    ],
)
def test_a_crossing_is_reported(module, source, rule):
    found = crossings({module: imports(source, module)})
    assert found and all(rule in line for line in found), found


def docstring_only(source: str) -> bool:
    body = ast.parse(source).body
    return not body or (
        len(body) == 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )


def test_feature_package_inits_are_empty():
    inits = {path.relative_to(PACKAGE.parent).as_posix(): path for path in PACKAGE.rglob("__init__.py")}
    assert len(inits) >= 8 and set(inits) >= PUBLIC_INITS
    full = [name for name, path in inits.items() if name not in PUBLIC_INITS and not docstring_only(path.read_text())]
    assert full == []
    assert not docstring_only("x = 1\n") and docstring_only('"""Only a docstring."""\n')
