"""Tokens, found the way the official clients find them, and the origins they may be sent to.

Invariant: a token is sent only to an origin the user chose to trust, never to one a file named. Trusted
are the first-party origins of the source (huggingface.co and hf.co; modelscope.cn and modelscope.ai), the
endpoint the user set in the environment for that source (HF_ENDPOINT; MODELSCOPE_ENDPOINT or
MODELSCOPE_DOMAIN, as the official clients read them), and each origin given with `--token-to URL`. A plain
`--endpoint` mirror and every endpoint read from a lockfile (`pull --manifest`, `verify --repair`) get no
credentials unless one of those names its origin, and hubctl says so on stderr. Redirects never carry a
token to another origin (http.Session), and the token is registered with redact.py so no output shows it.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
from pathlib import Path

from hubctl.download.http import origin
from hubctl.download.sources.registry import HF, HUBS, MODELSCOPE, env_token, environment_endpoints
from hubctl.errors import UsageError
from hubctl.integrity.safepath import read_regular
from hubctl.redact import add_secret, redact_url

#: The hubs' own origins (registry.Hub.origins): a token for that hub may always go there.
FIRST_PARTY = {hub.name: hub.origins for hub in HUBS.values()}


def find_token(source: str, explicit: str | None) -> str | None:
    """--token, else HF_TOKEN / huggingface_hub's stored token, else MODELSCOPE_API_TOKEN."""
    token = _find_token(source, explicit)
    add_secret(token)
    return token


def _find_token(source: str, explicit: str | None) -> str | None:
    if explicit:
        return explicit
    if source == HF.name:
        if env_token(HF.name):
            return env_token(HF.name)
        if os.environ.get("HF_HUB_DISABLE_IMPLICIT_TOKEN"):
            return None
        return stored_hf_token()
    if source == MODELSCOPE.name:
        return env_token(MODELSCOPE.name)
    return None


def stored_hf_token() -> str | None:
    """The token `hf auth login` stored, found as huggingface_hub's get_token finds it ($HF_TOKEN_PATH, else
    $HF_HOME/token, else $XDG_CACHE_HOME/huggingface/token), without importing huggingface_hub: that import
    cost every pull ~50 ms of CPU."""
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    path = os.path.expanduser(os.environ.get("HF_TOKEN_PATH") or os.path.join(home, "token"))
    try:  # a regular file only: a FIFO there must not hang the pull
        token = read_regular(Path(path), 1 << 16, follow=True).decode("utf-8").strip()
    except (OSError, ValueError):
        return None
    return token or None


def check_token_to(urls: tuple[str, ...]) -> tuple[str, ...]:
    """Validate `--token-to` values: each must be an http(s) URL with a host."""
    for url in urls:
        try:
            parts = urllib.parse.urlsplit(url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise UsageError(f"--token-to {redact_url(url)!r}: not an http(s) URL")
    return urls


def trusted_origins(source: str, token_to: tuple[str, ...] = ()) -> frozenset[str]:
    """Origins that may receive this source's token (see the module docstring)."""
    urls = (*FIRST_PARTY.get(source, ()), *environment_endpoints(source), *check_token_to(token_to))
    origins = set()
    for url in urls:
        try:
            origins.add(origin(url))
        except ValueError:  # a malformed environment value trusts nothing
            continue
    return frozenset(origins)


def credentials(
    source: str, token: str | None, endpoints: list[str], token_to: tuple[str, ...] = ()
) -> dict[str, dict[str, str]]:
    """Headers for each trusted endpoint's own origin, and for the hub's own origins (a mirror that redirects to
    huggingface.co keeps the token there, as huggingface_hub does); other endpoints and redirects get none."""
    if not token:
        return {}
    headers = {"Authorization": f"Bearer {token}"}
    if source == MODELSCOPE.name:
        headers["Cookie"] = f"m_session_id={token}"
    trusted = trusted_origins(source, token_to)
    given = {_origin(e): headers for e in endpoints if _origin(e) in trusted}
    given.update({_origin(e): headers for e in FIRST_PARTY.get(source, ())})
    return given


def note_withheld(source: str, token: str | None, endpoints: list[str], token_to: tuple[str, ...] = ()) -> None:
    """Say on stderr, once per endpoint, that a token exists but this endpoint will not get it."""
    if not token:
        return
    trusted = trusted_origins(source, token_to)
    for endpoint in dict.fromkeys(endpoints):
        if _origin(endpoint) not in trusted:
            shown = redact_url(endpoint)
            print(
                f"hubctl: note: {shown} is used without credentials (not a {source} hub origin; "
                f"add --token-to {shown} to send it your token)",
                file=sys.stderr,
            )


def _origin(url: str) -> str | None:
    try:
        return origin(url)
    except ValueError:  # a malformed URL is trusted with nothing (the request itself reports it)
        return None
