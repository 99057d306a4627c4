"""Tokens, found the way the official clients find them, and turned into per-origin headers."""

from __future__ import annotations

import os

from hubctl.download.http import origin
from hubctl.download.sources.registry import HF, MODELSCOPE, env_token


def find_token(source: str, explicit: str | None) -> str | None:
    """--token, else HF_TOKEN / huggingface_hub's stored token, else MODELSCOPE_API_TOKEN."""
    if explicit:
        return explicit
    if source == HF.name:
        if env_token(HF.name):
            return env_token(HF.name)
        if os.environ.get("HF_HUB_DISABLE_IMPLICIT_TOKEN"):
            return None
        from huggingface_hub import get_token  # reads $HF_HOME/token (hf auth login)

        return get_token()
    if source == MODELSCOPE.name:
        return env_token(MODELSCOPE.name)
    return None


def credentials(source: str, token: str | None, endpoints: list[str]) -> dict[str, dict[str, str]]:
    """Headers for each endpoint's own origin; redirects elsewhere get none (see http.Session)."""
    if not token:
        return {}
    headers = {"Authorization": f"Bearer {token}"}
    if source == MODELSCOPE.name:
        headers["Cookie"] = f"m_session_id={token}"
    return {origin(e): headers for e in endpoints}
