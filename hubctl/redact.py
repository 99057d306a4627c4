"""Text safety for everything hubctl prints or writes: no secret and no terminal control sequence gets out.

Strings that reach a terminal, a log or a JSON report often come from a server hubctl does not control
(file names, error messages, headers) or from URLs the user typed (which may carry `user:password@`). So every
such string passes through `clean()`, which holds three invariants:
- no `user:password@` part of any URL in the text survives;
- no secret this process knows (the token it found, registered with `add_secret`) and nothing shaped like a
  hub token or a bearer credential survives;
- no control character (C0, DEL, C1: newline, CR, ESC...) survives: each becomes a visible escape (`\\x1b`),
  so a name cannot forge a line such as `hubctl: error: ...` or recolour the terminal.

Stdlib `re` only, imported by errors.py: `verify --quick` loads it and is timed as a process.
"""

from __future__ import annotations

import re
import urllib.parse

#: scheme://user:password@host -> scheme://host (userinfo never printed, even without a password).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")
#: Shapes of credentials: Hugging Face tokens, Authorization values, ModelScope session cookies, query keys.
_TOKEN_SHAPES = (
    re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    re.compile(r"(?i)\b(bearer|authorization:\s*basic)(\s+)[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(r"(?i)\b(token|m_session_id|access_token|api_key|apikey|password|passwd)=[^\s&;,\"']+"),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MASK = "***"
_secrets: set[str] = set()


def add_secret(secret: str | None) -> None:
    """Remember a secret of this process (a token) so that no printed or written text contains it."""
    if secret and len(secret) >= 4:
        _secrets.add(secret)


def redact_url(url: str) -> str:
    """A URL without user:password and without the query (signed URLs carry credentials there)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return clean(url)
    netloc = parts.netloc.rpartition("@")[2]
    return clean(urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", "")))


def redact(text: str) -> str:
    """`text` without URL credentials, known secrets or token-shaped strings (control characters kept)."""
    text = _USERINFO.sub(r"\1", text)
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    text = _TOKEN_SHAPES[0].sub("hf_" + _MASK, text)
    text = _TOKEN_SHAPES[1].sub(lambda m: f"{m.group(1)}{m.group(2)}{_MASK}", text)
    return _TOKEN_SHAPES[2].sub(lambda m: f"{m.group(1)}={_MASK}", text)


def escape_controls(text: str) -> str:
    """Every control or bidi-override character as a visible escape: one printed line stays one line."""
    return _CONTROL.sub(lambda m: _escape(m.group()), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object) -> str:
    """Safe to print or write: redacted (see `redact`) and without control characters."""
    return escape_controls(redact(str(text)))
