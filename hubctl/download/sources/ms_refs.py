"""A ModelScope branch, tag or short sha resolved to a full commit sha, by a chain of lookups.

No official client reads `CommitId` from `/revisions` and the live hub may not send it, so the chain is:
`/revisions` CommitId -> the commits API (`commits?Ref=`) -> the git ref advertisement
(`{repo}.git/info/refs`) -> None, meaning "list and download by the name; the commit is not pinned".
Invariant: a lookup that fails or answers something unusable only moves on to the next one; only an
answer that the repo itself is missing or refused stops the chain (no other lookup could succeed).
A short-sha answer is accepted only if it starts with that short sha (a misspelled query parameter
makes the commits API answer master's head instead).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hubctl.download.http import HttpError, TransientError, check_status
from hubctl.download.sources.ms_envelope import MsApi, repo_refused, shown
from hubctl.errors import HubctlError
from hubctl.integrity.hashing import GIT_SHA1_HEX as FULL_SHA

SHORT_SHA = re.compile(r"^[0-9a-f]{7,39}$")
_GIT_AGENT = "git/2.45.0 (hubctl)"  # the live git endpoint answers 421 to a non-git user agent
_MAX_REFS_BODY = 8 << 20
_MAX_PKT_LINES = 200_000


def _pick(candidates: dict[str, str], revision: str) -> str | None:
    """The sha a name maps to, or for a short sha the unique full sha that starts with it."""
    if revision in candidates:
        return candidates[revision]
    if SHORT_SHA.match(revision):
        found = {sha for sha in candidates.values() if sha.startswith(revision)}
        return found.pop() if len(found) == 1 else None
    return None


def from_revisions(api: MsApi, revision: str) -> str | None:
    data = api.get("revisions", {}, f"revisions of {api.repo}")
    refs = data.get("RevisionMap") if isinstance(data, dict) else None
    refs = refs if isinstance(refs, dict) else {}
    found: dict[str, str] = {}
    for group in ("Branches", "Tags"):
        items = refs.get(group)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and isinstance(item.get("CommitId"), str) and FULL_SHA.match(item["CommitId"]):
                found.setdefault(str(item.get("Revision")), item["CommitId"])
    return _pick(found, revision)


def from_commits_api(api: MsApi, revision: str) -> str | None:
    query = {"Ref": revision, "PageNumber": "1", "PageSize": "1"}
    data = api.get("commits", query, f"commits of {api.repo} at {revision}")
    commits = data.get("Commit") if isinstance(data, dict) else None
    first = commits[0] if isinstance(commits, list) and commits else None
    sha = first.get("Id") if isinstance(first, dict) else None
    if not isinstance(sha, str) or not FULL_SHA.match(sha):
        return None
    return sha if not SHORT_SHA.match(revision) or sha.startswith(revision) else None


def parse_advertisement(body: bytes) -> dict[str, str]:
    """Ref name -> sha from a smart-HTTP ref advertisement (pkt-lines); unreadable lines end the parse."""
    refs: dict[str, str] = {}
    pos = 0
    for _ in range(_MAX_PKT_LINES):
        if pos + 4 > len(body):
            break
        try:
            length = int(body[pos : pos + 4], 16)
        except ValueError:
            break
        if length == 0:  # flush-pkt between the service line and the refs
            pos += 4
            continue
        if length < 4 or pos + length > len(body):
            break
        line = body[pos + 4 : pos + length].split(b"\0", 1)[0].rstrip(b"\n").decode("utf-8", "replace")
        pos += length
        sha, _, name = line.partition(" ")
        if FULL_SHA.match(sha) and name:
            refs.setdefault(name, sha)
    return refs


def from_git(api: MsApi, revision: str) -> str | None:
    prefix = "datasets/" if api.kind == "datasets" else ""
    url = f"{api.endpoint}/{prefix}{api.repo}.git/info/refs?service=git-upload-pack"
    response = api.session.request("GET", url, {"User-Agent": _GIT_AGENT, "Accept": "*/*"})
    try:
        check_status(response)
        body = response.read(_MAX_REFS_BODY)
    finally:
        response.close()
    refs = parse_advertisement(body)
    for name in (f"refs/heads/{revision}", f"refs/tags/{revision}^{{}}", f"refs/tags/{revision}", revision):
        if name in refs:
            return refs[name]
    return _pick(refs, revision) if SHORT_SHA.match(revision) else None


_CHAIN: tuple[tuple[str, Callable[[MsApi, str], str | None]], ...] = (
    ("revisions", from_revisions),
    ("commits API", from_commits_api),
    ("git refs", from_git),
)


def resolve(api: MsApi, revision: str) -> tuple[str | None, list[str]]:
    """(full sha or None, why each lookup could not pin it)."""
    if FULL_SHA.match(revision):
        return revision, []
    misses: list[str] = []
    for name, lookup in _CHAIN:
        try:
            sha = lookup(api, revision)
        except HubctlError as err:
            if repo_refused(err):
                raise
            misses.append(f"{name}: {err.message}")
            continue
        except HttpError as err:
            misses.append(f"{name}: HTTP {err.status}")
            continue
        except TransientError as err:
            misses.append(f"{name}: {shown(str(err))}")
            continue
        if sha is not None:
            return sha, misses
        misses.append(f"{name}: no commit for {shown(revision)}")
    return None, misses
