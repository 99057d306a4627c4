"""`hubctl verify --repair`: re-fetch only the damaged or missing files, through pull's verified path.

Repair is a pinned pull into the same folder: files that just verified carry fresh stamps, so pull
accepts them without hashing again and fetches only the rest; then the folder is verified once more.
Extra files are never deleted (nothing is lost): with --strict they remain a failure to look at.
"""

from __future__ import annotations

from pathlib import Path

from hubctl.download.pull import PullRequest, pull
from hubctl.download.sources.registry import default_endpoints
from hubctl.errors import UsageError
from hubctl.integrity.verify import EXTRA, VerifyReport, verify
from hubctl.progress import Progress


def repair_request(
    report: VerifyReport,
    source: str | None,
    endpoints: tuple[str, ...],
    token: str | None,
    repo: str | None = None,
    token_to: tuple[str, ...] = (),
) -> PullRequest:
    """Where to fetch from: the given source/endpoints, else the manifest's own (which get no token unless
    the user trusts their origin: see download/auth.py)."""
    manifest = report.manifest
    source = source or manifest.source
    repo = repo or manifest.repo
    if source == "local" or not repo:
        raise UsageError(
            "this manifest was made from a local folder: give --source, --endpoint and --repo to repair from a hub"
        )
    return PullRequest(
        repo=repo,
        source=source,
        dest=report.folder,
        endpoints=endpoints or tuple(manifest.endpoints) or default_endpoints(source),
        token=token,
        token_to=token_to,
        repo_type=manifest.repo_type,
    )


def repair(report: VerifyReport, request: PullRequest, progress: Progress | None = None) -> VerifyReport:
    """Fix what `report` found broken; return the verification of the folder afterwards."""
    broken = tuple(c.path for c in report.problems if c.status != EXTRA)
    if not broken:
        return report
    result = pull(request, progress, pinned=report.manifest)
    error = result.error()
    if error is not None:
        raise error
    after = verify(Path(report.folder), report.manifest_path, strict=report.strict, quick=True)
    return after._replace(repaired=broken)
