"""Include/exclude globs with one meaning on both hubs.

huggingface_hub matches fnmatch globs on the full path, where `*` also crosses `/`; ModelScope mixes globs
and regexes. hubctl applies the Hugging Face meaning to every listing, client-side, and `dir/` means
everything under dir.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import TypeVar

T = TypeVar("T")


def _normalise(pattern: str) -> str:
    return pattern + "*" if pattern.endswith("/") else pattern


def matches(path: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(path, _normalise(p)) for p in patterns)


def select(items: Iterable[T], path_of, include: Sequence[str], exclude: Sequence[str]) -> list[T]:
    """Items whose path matches some include pattern (all when none) and no exclude pattern."""
    return [
        item
        for item in items
        if (not include or matches(path_of(item), include)) and not matches(path_of(item), exclude)
    ]
