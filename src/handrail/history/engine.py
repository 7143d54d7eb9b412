"""Read the history reachable from a revision, mining only what the cache does not hold yet."""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from handrail import git
from handrail.history.cache import HistoryCache
from handrail.history.parse import parse_log
from handrail.model import Commit

# Progress is reported as (commits done, commits to do).
Progress = Callable[[int, int], None]

# Below this many commits per process, another git process costs more than it saves.
_MIN_COMMITS_PER_WORKER = 2000
# Commits written per transaction: small enough to lose little on interruption.
_BATCH = 2000
_DONE = object()
WORKER_THREAD = "handrail-git-log"


@dataclass(frozen=True)
class MiningReport:
    """What this run had to read from git, and what it found in the cache."""

    new_commits: int
    cached_commits: int
    seconds: float
    workers: int
    cache: Path | None  # None: the cache could not be written and lived in memory


@dataclass
class History:
    """Every commit reachable from one revision."""

    repo: git.RepoInfo
    head: str | None  # None for a repository without commits
    report: MiningReport
    partial: bool  # a shallow clone: older history is missing
    _cache: HistoryCache
    _reachable: set[int]

    def commits(self) -> Iterator[Commit]:
        """Commits reachable from `head`, newest committer date first, streamed from the cache."""
        return self._cache.commits(self._reachable)

    def __len__(self) -> int:
        return len(self._reachable)

    def close(self) -> None:
        self._cache.close()


def _open_cache(repo: git.RepoInfo) -> HistoryCache:
    boundary = git.shallow_boundary(repo)
    folder = repo.git_dir / "handrail"
    location = folder / "history.sqlite3"
    try:
        folder.mkdir(exist_ok=True)
        try:
            return HistoryCache(location, boundary)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise
            # Damaged from outside (a disk filled up, a stray write): it is only a cache.
            for leftover in (location, *location.parent.glob(location.name + "-*")):
                leftover.unlink(missing_ok=True)
            return HistoryCache(location, boundary)
    except (OSError, sqlite3.OperationalError):
        # A read-only repository still gets an answer, just not a remembered one.
        return HistoryCache(None, boundary)


def read_history(
    repo: git.RepoInfo, rev: str = "HEAD", progress: Progress | None = None
) -> History:
    """Bring the cache up to date for `rev` and return the history reachable from it."""
    started = time.perf_counter()
    head = git.resolve_commit(repo, rev)
    cache = _open_cache(repo)
    todo: list[str] = []
    workers = 0
    if head is not None:
        todo = cache.missing(git.rev_list(repo, head, exclude=cache.tips()))
        workers = _mine(repo, todo, cache, progress)
    graph = cache.parents()
    reachable_shas = _reachable(graph, head)
    if head is not None:
        cache.set_tip(head, reachable_shas)
    report = MiningReport(
        new_commits=len(todo),
        cached_commits=len(reachable_shas) - len(todo),
        seconds=time.perf_counter() - started,
        workers=workers,
        cache=cache.location,
    )
    return History(
        repo=repo,
        head=head,
        report=report,
        partial=repo.is_shallow,
        _cache=cache,
        _reachable={graph[sha][0] for sha in reachable_shas},
    )


def _reachable(graph: dict[str, tuple[int, tuple[str, ...]]], head: str | None) -> set[str]:
    seen: set[str] = set()
    stack = [head] if head in graph else []
    while stack:
        sha = stack.pop()
        if sha in seen:
            continue
        seen.add(sha)
        stack.extend(p for p in graph[sha][1] if p in graph and p not in seen)
    return seen


def _mine(
    repo: git.RepoInfo, shas: list[str], cache: HistoryCache, progress: Progress | None
) -> int:
    """Read `shas` from git with parallel `git log` processes and store them; returns workers."""
    if not shas:
        return 0
    workers = max(1, min(os.cpu_count() or 1, len(shas) // _MIN_COMMITS_PER_WORKER))
    size = -(-len(shas) // workers)
    chunks = [shas[i : i + size] for i in range(0, len(shas), size)]
    results: queue.Queue[object] = queue.Queue(maxsize=4 * _BATCH)
    procs = [git.start_log(repo, chunk) for chunk in chunks]
    threads = [
        threading.Thread(target=_pump, args=(p, results), daemon=True, name=WORKER_THREAD)
        for p in procs
    ]
    for thread in threads:
        thread.start()
    done = 0
    try:
        batch: list[Commit] = []
        running = len(threads)
        while running:
            item = results.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                assert isinstance(item, Commit)
                batch.append(item)
                if len(batch) >= _BATCH:
                    cache.add(batch)
                    done += len(batch)
                    batch = []
                    if progress:
                        progress(done, len(shas))
        cache.add(batch)
        if progress:
            progress(len(shas), len(shas))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        # After an error, pump threads may wait on a full queue: drain it so none outlives us.
        while any(thread.is_alive() for thread in threads):
            with contextlib.suppress(queue.Empty):
                results.get(timeout=0.05)
        for proc in procs:
            proc.wait()
    return len(chunks)


def _pump(proc: subprocess.Popen[bytes], results: queue.Queue[object]) -> None:
    """Parse one git process's output onto the queue; errors travel the same way."""
    try:
        assert proc.stdout is not None
        for commit in parse_log(proc.stdout):
            results.put(commit)
        git.finish(proc)
    except BaseException as exc:
        results.put(exc)
    results.put(_DONE)
