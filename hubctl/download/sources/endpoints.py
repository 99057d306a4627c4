"""Endpoint values as users write them, normalised once so every spelling gives the same requests.

Invariant: the result has a scheme, no trailing slash and, for ModelScope's international site, the
host the official client uses (`www.modelscope.ai`), so the token (keyed to the exact origin) is sent
to the host that answers rather than lost on a redirect from the bare domain.
"""

from __future__ import annotations

import urllib.parse

MODELSCOPE_INTERNATIONAL = "https://www.modelscope.ai"
_ALIASES = {"modelscope": {"modelscope.ai": "www.modelscope.ai"}}


def normalize_endpoint(source: str, value: str) -> str:
    """`modelscope.ai`, `https://modelscope.ai/` -> `https://www.modelscope.ai`; `host/` -> `https://host`."""
    value = value.strip().rstrip("/")
    if value and "://" not in value:
        value = f"https://{value}"
    parts = urllib.parse.urlsplit(value)
    alias = _ALIASES.get(source, {}).get((parts.hostname or "").lower())
    if alias and parts.port is None and not parts.username:
        value = urllib.parse.urlunsplit((parts.scheme, alias, parts.path, parts.query, parts.fragment))
    return value
