"""Hotspots: how often a file changes times how complex it is (lizard), plus recent churn.

lizard is slow-ish, so only the files a report shows are measured, and each measurement is
remembered per blob id under `<git-dir>/handrail/` (a blob never changes).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from handrail import git
from handrail.knowledge.authorship import Change

_CACHE_NAME = "complexity.json"
_CACHE_VERSION = 1
_DAY = 86400
# Starting a process costs about as much as measuring a few files.
_FILES_PER_PROCESS = 4


@dataclass(frozen=True)
class Complexity:
    nloc: int  # lines of code without comments and blanks
    ccn: int  # cyclomatic complexity summed over the file's functions (at least 1)


@dataclass(frozen=True)
class Activity:
    """How a file has been changing."""

    changes: int  # non-merge commits that touched it (through renames)
    recent_changes: int
    recent_churn: int  # lines added + deleted within the recent window
    last_change: int  # epoch seconds


def activity(history: Iterable[Change], now: int, recent_days: int) -> Activity:
    since = now - recent_days * _DAY
    commits = {c.commit for c in history}
    recent = [c for c in history if c.time >= since]
    return Activity(
        changes=len(commits),
        recent_changes=len({c.commit for c in recent}),
        recent_churn=sum(c.lines for c in recent),
        last_change=max((c.time for c in history), default=0),
    )


def measure(path: str, content: bytes) -> Complexity:
    """lizard's reading of one file; languages lizard does not know count as plain lines."""
    from lizard import analyze_file  # slow to import: only when a measurement is needed

    text = content.decode("utf-8", "replace")
    result = analyze_file.analyze_source_code(path, text)
    ccn = sum(f.cyclomatic_complexity for f in result.function_list)
    nloc = result.nloc or sum(1 for line in text.splitlines() if line.strip())
    return Complexity(nloc=nloc, ccn=max(ccn, 1))


def _measure_one(item: tuple[str, bytes]) -> Complexity:
    return measure(*item)


def _measure_all(work: list[tuple[str, bytes]]) -> list[Complexity]:
    """lizard is pure Python and CPU-bound: spread several files over the cores."""
    workers = min(os.cpu_count() or 1, len(work) // _FILES_PER_PROCESS)
    if workers < 2:
        return [measure(path, content) for path, content in work]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_measure_one, work, chunksize=2))


def score(act: Activity, size: Complexity) -> float:
    """Changes times complexity: a file that is both tangled and busy is where knowledge matters."""
    return float(act.changes * size.ccn)


class ComplexityCache:
    """blob id -> (nloc, ccn), one JSON file written atomically; damaged means empty."""

    def __init__(self, repo: git.RepoInfo) -> None:
        self.repo = repo
        self.location = repo.git_dir / "handrail" / _CACHE_NAME
        self.entries: dict[str, list[int]] = {}
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            data = json.loads(self.location.read_bytes())
            if data.get("version") == _CACHE_VERSION:
                self.entries = dict(data["entries"])

    def measure(self, blobs: Mapping[str, str]) -> dict[str, Complexity]:
        """Complexity of each path in `blobs` (path -> blob id), reading only unknown blobs."""
        missing = {blob: path for path, blob in blobs.items() if blob not in self.entries}
        if missing:
            work = [
                (missing[blob], content) for blob, content in git.read_blobs(self.repo, missing)
            ]
            for blob, size in zip(missing, _measure_all(work), strict=True):
                self.entries[blob] = [size.nloc, size.ccn]
            self._save()
        return {path: Complexity(*self.entries[blob]) for path, blob in blobs.items()}

    def _save(self) -> None:
        with contextlib.suppress(OSError):  # a read-only repository: just not remembered
            self.location.parent.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.location.parent, prefix=".complexity.")
            with os.fdopen(fd, "w") as out:
                json.dump({"version": _CACHE_VERSION, "entries": self.entries}, out)
            Path(tmp).replace(self.location)
