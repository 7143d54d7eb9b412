"""Which files count as source code, by GitHub Linguist's rules (through go-enry's port).

Linguist counts a file in a repository's languages when it is not vendored, not
documentation, not generated, and its language is of type programming or markup; Avelino
et al. took exactly that set ("breakdown by file") for their truck factors. Verdicts depend
on a path and a blob only, so they are remembered per (path, blob id) under
`<git-dir>/handrail/`, and a warm run reads no blob at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from handrail import git

SOURCE = "source"
# Linguist's DETECTABLE_TYPES: what it counts in a repository's language breakdown.
_COUNTED_TYPES = frozenset({"programming", "markup"})
# Linguist reads at most this much of a blob to detect its language.
_MAX_CONTENT = 51200
_CACHE_NAME = "source-files.json"
_CACHE_VERSION = 1


@dataclass(frozen=True)
class Verdict:
    """A file's class ("source", "vendored", "documentation", "generated", "data", ...)."""

    kind: str
    language: str | None


def classify(path: str, content: bytes) -> Verdict:
    """Linguist's `include_in_language_stats?`, answered by go-enry."""
    import enry  # a compiled library: loaded only when classification is needed

    if enry.is_vendor(path):
        return Verdict("vendored", None)
    if enry.is_documentation(path):
        return Verdict("documentation", None)
    if enry.is_binary(content):
        return Verdict("binary", None)
    if enry.is_generated(path, content):
        return Verdict("generated", None)
    language = enry.get_language(path, content) or None
    if language is None:
        return Verdict("unknown", None)
    kind = enry.get_language_type(language)
    return Verdict(SOURCE if kind in _COUNTED_TYPES else kind or "unknown", language)


def _needs_content(path: str) -> bool:
    import enry

    return not (enry.is_vendor(path) or enry.is_documentation(path))


class _VerdictCache:
    """(path, blob) -> verdict, one JSON file written atomically; damaged means empty."""

    def __init__(self, repo: git.RepoInfo) -> None:
        self.location = repo.git_dir / "handrail" / _CACHE_NAME
        self.entries: dict[str, list[str | None]] = {}
        self.dirty = False
        with contextlib.suppress(OSError, ValueError, TypeError):
            data = json.loads(self.location.read_bytes())
            if data.get("version") == _CACHE_VERSION:
                self.entries = dict(data["entries"])

    @staticmethod
    def key(path: str, blob: str) -> str:
        return f"{blob}:{path}"

    def get(self, path: str, blob: str) -> Verdict | None:
        found = self.entries.get(self.key(path, blob))
        return Verdict(str(found[0]), found[1]) if found else None

    def put(self, path: str, blob: str, verdict: Verdict) -> None:
        self.entries[self.key(path, blob)] = [verdict.kind, verdict.language]
        self.dirty = True

    def save(self, keep: Iterable[str]) -> None:
        if not self.dirty:
            return
        wanted = set(keep)
        # Only the current revision's verdicts are kept: the file stays the size of one tree.
        entries = {k: v for k, v in self.entries.items() if k in wanted}
        with contextlib.suppress(OSError):  # a read-only repository: just not remembered
            self.location.parent.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.location.parent, prefix=".source-files.")
            with os.fdopen(fd, "w") as out:
                json.dump({"version": _CACHE_VERSION, "entries": entries}, out)
            Path(tmp).replace(self.location)


def classify_tree(repo: git.RepoInfo, blobs: Sequence[tuple[str, str]]) -> dict[str, Verdict]:
    """The verdict for every (path, blob id) of a tree (see git.list_blobs)."""
    cache = _VerdictCache(repo)
    verdicts: dict[str, Verdict] = {}
    to_read: dict[str, list[str]] = {}
    for path, blob in blobs:
        known = cache.get(path, blob)
        if known is not None:
            verdicts[path] = known
        elif _needs_content(path):
            to_read.setdefault(blob, []).append(path)
        else:
            verdicts[path] = classify(path, b"")
            cache.put(path, blob, verdicts[path])
    if to_read:
        for blob, content in git.read_blobs(repo, list(to_read)):
            for path in to_read[blob]:
                verdicts[path] = classify(path, content[:_MAX_CONTENT])
                cache.put(path, blob, verdicts[path])
    cache.save(cache.key(path, blob) for path, blob in blobs)
    return verdicts
