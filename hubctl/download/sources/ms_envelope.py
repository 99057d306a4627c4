"""ModelScope's JSON envelope `{Code, Data, Message, RequestId, Success}`, checked on every API answer.

Invariant: `Data` is handed on only when the HTTP status is 2xx *and* the envelope says success
(`Success` not false, `Code` 200 or absent). The hub reports refusals either as HTTP 404 with a business
`Code` (what the live hub does for a missing or unreadable repo) or inside an HTTP 200
(`Success: false`); both become exactly one hubctl error class, with the hub's `Message` escaped.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass

from hubctl.download.http import Response, Session, TransientError, check_status, with_retries
from hubctl.errors import AuthError, HubctlError, IntegrityError, NetworkError, NotFoundError

# Business codes seen on the live hub (third-party measurements and clients, see docs/real-hubs-modelscope.md).
REPO_NOT_FOUND = 10010205001  # "获取模型目录树失败，信息：record not found"
NO_TREE_AT_REVISION = 10990101004  # the repo exists, the revision has no file tree
NO_ACCESS = 10010200001  # private without a token, gated without a grant
TOKEN_INVALID = 10010103009
_NOT_FOUND_CODES = frozenset({REPO_NOT_FOUND, NO_TREE_AT_REVISION})
_AUTH_CODES = frozenset({NO_ACCESS, TOKEN_INVALID})
_MAX_BODY = 64 << 20
_AUTH_HINT = "private or gated: set MODELSCOPE_API_TOKEN or pass --token"


def shown(value: object, limit: int = 200) -> str:
    """A server-supplied value made safe to print on one line: control characters escaped, length bounded."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)[: limit * 2]
    cut = text[:limit]  # cut before escaping, so an escape is never split
    out = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in cut)
    return out + ("…" if len(text) > limit else "")


def business_code(payload: object) -> int | None:
    """The envelope's numeric `Code`, if it has one (a bool or junk is no code)."""
    code = payload.get("Code") if isinstance(payload, dict) else None
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit() and len(code.strip()) < 20:
        return int(code.strip())
    return None


def _succeeded(status: int, payload: object) -> bool:
    if not 200 <= status < 300:
        return False
    if not isinstance(payload, dict) or not ({"Code", "Success"} & payload.keys()):
        return True  # a bare answer (no envelope): only the status speaks
    return payload.get("Success") is not False and payload.get("Code", 200) in (200, "200", None)


def refusal(status: int, payload: object, what: str, endpoint: str) -> HubctlError:
    """The hubctl error for a refused API call: business code first, then HTTP status."""
    code = business_code(payload)
    message = payload.get("Message") if isinstance(payload, dict) else None
    detail = f" (Code {code})" if code is not None else f" (HTTP {status})"
    detail += f": {shown(message)}" if isinstance(message, str) and message.strip() else ""
    if code in _AUTH_CODES or (code not in _NOT_FOUND_CODES and status in (401, 403)):
        error: HubctlError = AuthError(f"{what}: access refused by {endpoint}{detail}; {_AUTH_HINT}")
    elif code in _NOT_FOUND_CODES or status in (404, 410):
        error = NotFoundError(f"{what}: not found on {endpoint}{detail} (or not readable without a token)")
    else:
        error = NetworkError(f"{what}: {endpoint} answered a failure{detail}")
    error.business_code = code  # type: ignore[attr-defined]
    return error


def repo_refused(error: HubctlError) -> bool:
    """Whether an error says the repo itself is missing or unreadable (no other lookup can help)."""
    return isinstance(error, AuthError) or getattr(error, "business_code", None) == REPO_NOT_FOUND


def _parse(body: bytes, status: int, url: str) -> object:
    try:
        return json.loads(body)
    except RecursionError:
        raise IntegrityError(f"answer from {urllib.parse.urlsplit(url).path} is JSON nested too deeply") from None
    except ValueError as err:
        if 200 <= status < 300:  # a 2xx body cut short by the network is worth another try
            raise TransientError(f"invalid JSON from {urllib.parse.urlsplit(url).path}: {err}") from err
        return None


@dataclass(frozen=True)
class MsApi:
    """One repo on one endpoint: `{endpoint}/api/v1/{kind}/{repo}/...` with the envelope checked."""

    session: Session
    endpoint: str
    repo: str
    kind: str  # "models" or "datasets"

    def url(self, tail: str, query: dict[str, str] | None = None) -> str:
        base = f"{self.endpoint}/api/v1/{self.kind}/{self.repo}" + (f"/{tail}" if tail else "")
        return base + (f"?{urllib.parse.urlencode(query)}" if query else "")

    def get(self, tail: str, query: dict[str, str], what: str) -> object:
        """`Data` of a successful answer; a refusal raises its hubctl error, a network failure TransientError."""
        url = self.url(tail, query)

        def call() -> tuple[int, object]:
            response = self.session.request("GET", url, {"Accept": "application/json"})
            if response.status in (408, 425, 429) or response.status >= 500:
                check_status(response)  # raises TransientError (with Retry-After)
            return response.status, _parse(_body(response), response.status, url)

        status, payload = with_retries(call, f"{what} on {self.endpoint}")
        if not _succeeded(status, payload):
            raise refusal(status, payload, what, self.endpoint)
        return payload.get("Data") if isinstance(payload, dict) and {"Code", "Success"} & payload.keys() else payload


def _body(response: Response) -> bytes:
    try:
        return response.read(_MAX_BODY)
    finally:
        response.close()
