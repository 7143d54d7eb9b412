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
from handrail.history.cache import HistoryCache, Wanted
from handrail.history.parse import parse_log
from handrail.model import Commit, Identity, Signature

# Progress is reported as (commits done, commits to do).
Progress = Callable[[int, int], None]

# Below this many commits per process, another git process costs more than it saves.
_MIN_COMMITS_PER_WORKER = 2000
# Commits written per transaction: small enough to lose little on interruption.
_BATCH = 2000
# Up to this many chunks per git process, so that one finishing early can take more work;
# but a chunk below _MIN_CHUNK commits costs more in process start-up than it balances.
_CHUNKS_PER_WORKER = 2
_MIN_CHUNK = 5000
# Commits a worker hands over at once (fewer queue operations), and lists the queue holds.
_HANDOFF = 200
_QUEUE_BATCHES = 40
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
    _wanted: Wanted
    _count: int

    def commits(self) -> Iterator[Commit]:
        """Commits reachable from `head`, newest committer date first, streamed from the cache."""
        return self._cache.commits(self._wanted)

    def __len__(self) -> int:
        return self._count

    def totals(self) -> dict[str, int]:
        """Counts over the whole history (commits, merges, files, lines, binaries, renames)."""
        return self._cache.totals(self._wanted)

    def by_author(self) -> Iterator[tuple[Identity, int, int, int, Signature, Signature]]:
        """Per author identity: commits, lines added and deleted, first and last commit."""
        return self._cache.by_author(self._wanted)

    def file_changes(self) -> Iterator[tuple[int, Identity, int, str, str | None, str, int]]:
        """Per file change of a non-merge commit: (commit id, author, author time, path,
        old path, status "A"/"D"/"M", lines changed); much cheaper than whole commits."""
        return self._cache.file_changes(self._wanted)

    def commit_by_id(self, commit_id: int) -> Commit:
        """One commit by the id `file_changes` gives."""
        return self._cache.commit(commit_id)

    def first_and_last(self) -> tuple[Commit, Commit] | None:
        """The earliest and the latest commit by author date; None for an empty history."""
        ends = self._cache.edge_commits(self._wanted)
        return None if ends is None else (self._cache.commit(ends[0]), self._cache.commit(ends[1]))

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
    wanted: Wanted
    if head is not None and not todo and cache.holds_only_ancestry_of(head):
        wanted, count = None, cache.count()  # the common re-run: nothing to walk
    else:
        graph = cache.parents()
        reachable_shas = _reachable(graph, head)
        if head is not None:
            cache.set_tip(head, reachable_shas)
        wanted = {graph[sha][0] for sha in reachable_shas}
        count = len(wanted)
    report = MiningReport(
        new_commits=len(todo),
        cached_commits=count - len(todo),
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
        _wanted=wanted,
        _count=count,
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
    """Read `shas` with parallel `git log` processes and store them; returns the process count."""
    if not shas:
        return 0
    workers = max(1, min(os.cpu_count() or 1, len(shas) // _MIN_COMMITS_PER_WORKER))
    # Several contiguous chunks per process: neighbouring commits share the objects git has
    # just unpacked, and whoever finishes early takes the next chunk, so no core idles.
    pieces = max(workers, min(workers * _CHUNKS_PER_WORKER, len(shas) // _MIN_CHUNK))
    size = -(-len(shas) // pieces)
    chunks: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
    for start in range(0, len(shas), size):
        chunks.put(shas[start : start + size])
    results: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_BATCHES)
    stop = threading.Event()
    procs: list[subprocess.Popen[bytes]] = []
    threads = [
        threading.Thread(
            target=_work,
            args=(repo, chunks, results, stop, procs),
            daemon=True,
            name=WORKER_THREAD,
        )
        for _ in range(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        _store(results, len(threads), cache, len(shas), progress)
    finally:
        stop.set()
        # After an error, workers may wait on a full queue: drain it so none outlives us.
        while any(thread.is_alive() for thread in threads):
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
            with contextlib.suppress(queue.Empty):
                results.get(timeout=0.05)
        for proc in procs:
            proc.wait()
    return workers


def _store(
    results: queue.Queue[object],
    running: int,
    cache: HistoryCache,
    total: int,
    progress: Progress | None,
) -> None:
    """Write what the workers parse, in transactions of _BATCH commits."""
    done = 0
    batch: list[Commit] = []
    while running:
        item = results.get()
        if item is _DONE:
            running -= 1
            continue
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, list)
        batch += item
        while len(batch) >= _BATCH:
            cache.add(batch[:_BATCH])
            done += _BATCH
            batch = batch[_BATCH:]
            if progress:
                progress(done, total)
    cache.add(batch)
    if progress:
        progress(total, total)


def _work(
    repo: git.RepoInfo,
    chunks: queue.SimpleQueue[list[str]],
    results: queue.Queue[object],
    stop: threading.Event,
    procs: list[subprocess.Popen[bytes]],
) -> None:
    """Run `git log` over chunk after chunk, handing parsed commits over in small lists."""
    try:
        while not stop.is_set():
            try:
                chunk = chunks.get_nowait()
            except queue.Empty:
                break
            proc = git.start_log(repo, chunk)
            procs.append(proc)
            assert proc.stdout is not None  # started with stdout=PIPE
            handoff: list[Commit] = []
            for commit in parse_log(proc.stdout):
                handoff.append(commit)
                if len(handoff) >= _HANDOFF:
                    results.put(handoff)
                    handoff = []
            results.put(handoff)
            git.finish(proc)
    except BaseException as exc:  # handed to the main thread, which re-raises it
        results.put(exc)
    results.put(_DONE)


def read_commits(repo: git.RepoInfo, shas: list[str]) -> list[Commit]:
    """A handful of commits (a pull request's), read directly: no cache, one git process."""
    if not shas:
        return []
    proc = git.start_log(repo, shas)
    assert proc.stdout is not None  # started with stdout=PIPE
    commits = list(parse_log(proc.stdout))
    git.finish(proc)
    return commits
