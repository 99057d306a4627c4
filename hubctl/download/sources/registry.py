"""The hubs hubctl knows, by name: aliases, default endpoints and revisions, and where their tokens live.

Invariant: a hub's identity is written here once. The command line, pull, repair and the protocol classes ask
this module (a `hf:`/`ms:` prefix, `--source ms`, the default endpoint, `main` vs `master`), so a new mirror
variable or alias is one edit. Stdlib only and no HTTP: the CLI parses a repo argument without the network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from hubctl.download.sources.endpoints import normalize_endpoint
from hubctl.errors import UsageError


@dataclass(frozen=True)
class Hub:
    name: str  # the canonical name written into manifests
    aliases: tuple[str, ...]  # accepted by --source and as a repo prefix (`ms:org/name`)
    default_endpoint: str
    default_revision: str
    endpoint_variable: str  # the official client's own variable
    token_variable: str
    origins: tuple[str, ...]  # the hub's own origins: its token may always go there (download/auth.py)


HF = Hub(
    "hf",
    ("hf", "huggingface"),
    "https://huggingface.co",
    "main",
    "HF_ENDPOINT",
    "HF_TOKEN",
    ("https://huggingface.co", "https://hf.co"),
)
MODELSCOPE = Hub(
    "modelscope",
    ("ms", "modelscope"),
    "https://modelscope.cn",
    "master",
    "MODELSCOPE_ENDPOINT",
    "MODELSCOPE_API_TOKEN",
    ("https://modelscope.cn", "https://www.modelscope.cn", "https://modelscope.ai", "https://www.modelscope.ai"),
)
HUBS: dict[str, Hub] = {hub.name: hub for hub in (HF, MODELSCOPE)}
ALIASES: dict[str, str] = {alias: hub.name for hub in HUBS.values() for alias in hub.aliases}

_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.][A-Za-z0-9_.-]*$")


def canonical(source: str) -> str:
    """`hf`, `huggingface`, `ms` or `modelscope` to the hub's name; anything else is a usage error."""
    name = ALIASES.get(source)
    if name is None:
        raise UsageError(f"unknown source {source!r}: use {' or '.join(HUBS)}")
    return name


def parse_repo(repo: str, source: str | None) -> tuple[str, str]:
    """`hf:org/name`, `ms:org/name` or `org/name` with --source (default hf); returns (hub name, repo id)."""
    prefix, _, rest = repo.partition(":")
    if rest and prefix in ALIASES:
        if source and ALIASES.get(source) != ALIASES[prefix]:
            raise UsageError(f"repo prefix {prefix}: conflicts with --source {source}")
        source, repo = prefix, rest
    name = canonical(source or HF.name)
    if not _REPO_ID.match(repo) or ".." in repo:
        raise UsageError(f"repo must look like owner/name (letters, digits, - _ .), got {repo!r}")
    return name, repo


def parse_repo_type(repo: str, repo_type: str | None) -> tuple[str, str | None]:
    """`[hf:|ms:]datasets/owner/name` -> (`[hf:|ms:]owner/name`, "dataset"); `--repo-type` must agree.
    The type is None when neither says (the caller's default: a lockfile's type, else model)."""
    prefix, colon, rest = repo.rpartition(":")
    kind = None
    if rest.startswith(("datasets/", "models/")) and rest.count("/") == 2:
        kind, _, rest = rest.partition("/")
        kind = kind[:-1]
    if repo_type not in (None, "model", "dataset"):
        raise UsageError(f"--repo-type must be model or dataset, got {repo_type!r}")
    if kind and repo_type and kind != repo_type:
        raise UsageError(f"repo {repo!r} is a {kind} but --repo-type says {repo_type}")
    return prefix + colon + rest, kind or repo_type


def environment_endpoints(source: str, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The endpoints the user set for this hub in the official clients' variables, in their order of precedence
    (HF_ENDPOINT; MODELSCOPE_ENDPOINT, then MODELSCOPE_DOMAIN), normalised; empty values count as unset."""
    environ = os.environ if environ is None else environ
    hub = HUBS.get(source)
    names = () if hub is None else (hub.endpoint_variable, *(("MODELSCOPE_DOMAIN",) if hub is MODELSCOPE else ()))
    values = (environ.get(name, "").strip() for name in names)
    return tuple(normalize_endpoint(source, value) for value in values if value)


def default_endpoints(source: str, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The endpoint the environment names first, else the hub's own."""
    found = environment_endpoints(source, environ)
    return found[:1] or (HUBS[source].default_endpoint,)


def env_token(source: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The hub's token variable (HF_TOKEN, MODELSCOPE_API_TOKEN), if set and not empty."""
    environ = os.environ if environ is None else environ
    hub = HUBS.get(source)
    return (environ.get(hub.token_variable) or None) if hub else None
