"""True constants: values no user or environment changes, because files on disk and tests depend on them.

Tunable knobs (timeouts, retries, workers...) are in `hubctl.settings`; hub identities (names, aliases,
default endpoints and revisions, token variables) are in `hubctl.download.sources.registry`.
"""

from __future__ import annotations

#: Read/write buffer for streaming bodies.
BUFFER_SIZE = 1 << 20
#: Suffix of the partial file kept beside each final name until its hash matches.
PARTIAL_SUFFIX = ".hubctl-partial"
#: Folder inside a snapshot for hubctl's own state (manifest, stamps, locks); never a remote file.
STATE_DIR = ".hubctl"
