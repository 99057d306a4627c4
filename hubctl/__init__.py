"""hubctl: verified, resumable model snapshots with SHA-256 lockfiles."""

__version__ = "0.1.0"
