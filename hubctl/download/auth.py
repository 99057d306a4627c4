"""Tokens, found the way the official clients find them, and turned into per-origin headers."""

from __future__ import annotations

import os

from hubctl.download.http import origin


#: The official Hugging Face Hub origins: a mirror redirecting to them (hf-mirror.com does for some clients)
#: keeps the HF token, as huggingface_hub keeps it for its _HUB_ORIGINS; no other host ever gets it.
HF_HUB_ORIGINS = ("https://huggingface.co", "https://hf.co")


def find_token(source: str, explicit: str | None) -> str | None:
    """--token, else HF_TOKEN / huggingface_hub's stored token, else MODELSCOPE_API_TOKEN."""
    if explicit:
        return explicit
    if source == "hf":
        if os.environ.get("HF_TOKEN"):
            return os.environ["HF_TOKEN"]
        if os.environ.get("HF_HUB_DISABLE_IMPLICIT_TOKEN"):
            return None
        from huggingface_hub import get_token  # reads $HF_HOME/token (hf auth login)

        return get_token()
    if source == "modelscope":
        return os.environ.get("MODELSCOPE_API_TOKEN") or None
    return None


def credentials(source: str, token: str | None, endpoints: list[str]) -> dict[str, dict[str, str]]:
    """Headers for each endpoint's own origin; redirects elsewhere get none (see http.Session)."""
    if not token:
        return {}
    headers = {"Authorization": f"Bearer {token}"}
    if source == "modelscope":
        headers["Cookie"] = f"m_session_id={token}"
    trusted = [*endpoints, *HF_HUB_ORIGINS] if source == "hf" else endpoints
    return {origin(e): headers for e in trusted}
