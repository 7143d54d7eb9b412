"""The incremental history cache: one SQLite file under `<git-dir>/handrail/`.

Commits are immutable, so the cache only ever adds them. Each batch of commits is written in
one transaction with its file changes, so an interrupted or concurrent run leaves only whole
commits behind, and the next run mines just what is missing. A "tip" is recorded only once
every commit reachable from it is stored, which is what lets `git rev-list REV --not TIPS`
name exactly the new commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from handrail.history.parse import decode_trailers, encode_trailers, path_text
from handrail.model import Commit, FileChange, Identity, Signature

# Row ids of the commits a history covers; None: every stored commit.
Wanted = set[int] | None

# Bump when the mined fields or their meaning change: an older cache is then rebuilt.
FORMAT_VERSION = "4"

# Another run may hold the write lock for one batch; waiting this long is still sane.
_BUSY_TIMEOUT_SECONDS = 600

_TABLES = {
    "meta": "(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "identities": "(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,"
    " UNIQUE (name, email))",
    "paths": "(id INTEGER PRIMARY KEY, path BLOB NOT NULL UNIQUE)",
    "commits": "(id INTEGER PRIMARY KEY, sha TEXT NOT NULL UNIQUE, parents TEXT NOT NULL,"
    " author INTEGER NOT NULL, author_time INTEGER NOT NULL, author_tz INTEGER NOT NULL,"
    " committer INTEGER NOT NULL, committer_time INTEGER NOT NULL,"
    " committer_tz INTEGER NOT NULL, message TEXT NOT NULL, trailers TEXT NOT NULL)",
    "changes": "(commit_id INTEGER NOT NULL, path INTEGER NOT NULL, old_path INTEGER,"
    " added INTEGER, deleted INTEGER, status TEXT)",
    # A tip's ancestry is all stored; `reachable` counts it, so that when the cache holds
    # exactly that many commits, reading the tip's history needs no walk through parents.
    "tips": "(sha TEXT PRIMARY KEY, reachable INTEGER NOT NULL)",
}
_INDEXES = (
    "CREATE INDEX commits_by_time ON commits (committer_time DESC, id)",
    "CREATE INDEX changes_by_commit ON changes (commit_id)",
)


class HistoryCache:
    """Stored commits of one repository."""

    def __init__(self, location: Path | None, shallow_boundary: Sequence[str]) -> None:
        """Open (or create) the cache at `location`; None keeps it in memory only."""
        self.location = location
        self._db = sqlite3.connect(
            str(location) if location else ":memory:",
            timeout=_BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # transactions are explicit below
        )
        if location is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA cache_size=-65536")
        # Row ids of identities and paths, topped up at each write (another run may add some);
        # new ones are numbered here and written with executemany, like commits.
        self._identity_ids: dict[Identity, int] = {}
        self._path_ids: dict[str, int] = {}
        self._new_identities: list[tuple[int, str, str]] = []
        self._new_paths: list[tuple[int, bytes]] = []
        self._prepare(",".join(shallow_boundary))

    def close(self) -> None:
        self._db.close()

    def _prepare(self, boundary: str) -> None:
        with self._transaction():
            version = self._meta("format")
            if version != FORMAT_VERSION:
                for table, columns in _TABLES.items():
                    self._db.execute(f"DROP TABLE IF EXISTS {table}")
                    self._db.execute(f"CREATE TABLE {table} {columns}")
                for statement in _INDEXES:
                    self._db.execute(statement)
                self._set_meta("format", FORMAT_VERSION)
                self._set_meta("shallow", boundary)
            elif self._meta("shallow") != boundary:
                # A deepened or unshallowed clone: boundary commits were stored without their
                # parents, so they are mined again and no tip can vouch for completeness.
                old = [s for s in (self._meta("shallow") or "").split(",") if s]
                self._db.executemany(
                    "DELETE FROM changes WHERE commit_id IN (SELECT id FROM commits WHERE sha=?)",
                    [(s,) for s in old],
                )
                self._db.executemany("DELETE FROM commits WHERE sha=?", [(s,) for s in old])
                self._db.execute("DELETE FROM tips")
                self._set_meta("shallow", boundary)

    def _meta(self, key: str) -> str | None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None  # no schema yet
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # -- what is stored ---------------------------------------------------------------------

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM commits").fetchone()[0])

    def tips(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT sha FROM tips")]

    def missing(self, shas: Sequence[str]) -> list[str]:
        """The given commits that are not stored yet, in the given order."""
        if not shas:
            return []
        stored = {row[0] for row in self._db.execute("SELECT sha FROM commits")}
        return [sha for sha in shas if sha not in stored]

    def parents(self) -> dict[str, tuple[int, tuple[str, ...]]]:
        """sha -> (row id, parent shas) for every stored commit."""
        return {
            sha: (row_id, tuple(parents.split()))
            for row_id, sha, parents in self._db.execute("SELECT id, sha, parents FROM commits")
        }

    # -- writing ----------------------------------------------------------------------------

    def add(self, commits: Iterable[Commit]) -> int:
        """Store a batch of commits in one transaction; already stored ones are skipped."""
        batch = list(commits)
        if not batch:
            return 0
        try:
            with self._transaction():
                self._top_up_ids()
                present = self._present([c.sha for c in batch])
                fresh = [c for c in batch if c.sha not in present]
                self._insert(fresh)
        except BaseException:
            # Ids handed out inside the rolled-back transaction no longer exist.
            self._identity_ids.clear()
            self._path_ids.clear()
            self._new_identities.clear()
            self._new_paths.clear()
            raise
        return len(fresh)

    def _present(self, shas: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(shas), 500):
            part = shas[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(
                row[0]
                for row in self._db.execute(f"SELECT sha FROM commits WHERE sha IN ({marks})", part)
            )
        return found

    def _top_up_ids(self) -> None:
        # Identity and path ids run 1..n without gaps: every writer numbers new ones as
        # len + 1 while it holds the write lock, so len(known) is also the highest id.
        for row_id, name, email in self._db.execute(
            "SELECT id, name, email FROM identities WHERE id > ?", (len(self._identity_ids),)
        ):
            self._identity_ids[Identity(name, email)] = row_id
        for row_id, raw in self._db.execute(
            "SELECT id, path FROM paths WHERE id > ?", (len(self._path_ids),)
        ):
            self._path_ids[path_text(raw)] = row_id

    def _identity(self, identity: Identity) -> int:
        row_id = self._identity_ids.get(identity)
        if row_id is None:
            row_id = self._identity_ids[identity] = len(self._identity_ids) + 1
            self._new_identities.append((row_id, identity.name, identity.email))
        return row_id

    def _path(self, path: str) -> int:
        row_id = self._path_ids.get(path)
        if row_id is None:
            row_id = self._path_ids[path] = len(self._path_ids) + 1
            self._new_paths.append((row_id, path.encode("utf-8", "surrogateescape")))
        return row_id

    def _rows(
        self, commit: Commit, commit_id: int
    ) -> tuple[tuple[object, ...], list[tuple[object, ...]]]:
        """The commits row and the changes rows of one commit."""
        a, c = commit.author, commit.committer
        row = (
            commit_id,
            commit.sha,
            " ".join(commit.parents),
            self._identity(a.identity),
            a.time,
            a.tz_offset,
            self._identity(c.identity),
            c.time,
            c.tz_offset,
            commit.message,
            encode_trailers(commit.trailers),
        )
        changes = [
            (
                commit_id,
                self._path(f.path),
                self._path(f.old_path) if f.old_path else None,
                f.added,
                f.deleted,
                None if f.status == "M" else f.status,  # most changes: store nothing
            )
            for f in commit.files
        ]
        return row, changes

    def _insert(self, commits: list[Commit]) -> None:
        # Ids are handed out here (the write lock is held) so rows go in with executemany.
        first_id = self._db.execute("SELECT coalesce(max(id), 0) + 1 FROM commits").fetchone()[0]
        commit_rows = []
        change_rows: list[tuple[object, ...]] = []
        for offset, commit in enumerate(commits):
            row, changes = self._rows(commit, first_id + offset)
            commit_rows.append(row)
            change_rows += changes
        self._db.executemany("INSERT INTO identities VALUES (?,?,?)", self._new_identities)
        self._db.executemany("INSERT INTO paths VALUES (?,?)", self._new_paths)
        self._db.executemany("INSERT INTO commits VALUES (?,?,?,?,?,?,?,?,?,?,?)", commit_rows)
        self._db.executemany("INSERT INTO changes VALUES (?,?,?,?,?,?)", change_rows)
        self._new_identities.clear()
        self._new_paths.clear()

    def set_tip(self, sha: str, reachable: Iterable[str]) -> None:
        """Record `sha` as complete; tips it contains become redundant."""
        with self._transaction():
            contained = set(reachable)
            for old in self.tips():
                if old in contained:
                    self._db.execute("DELETE FROM tips WHERE sha=?", (old,))
            self._db.execute("INSERT OR REPLACE INTO tips VALUES (?, ?)", (sha, len(contained)))

    def holds_only_ancestry_of(self, sha: str) -> bool:
        """Whether every stored commit is reachable from the tip `sha` (and nothing else is)."""
        row = self._db.execute(
            "SELECT reachable = (SELECT count(*) FROM commits) FROM tips WHERE sha=?", (sha,)
        ).fetchone()
        return bool(row and row[0])

    # -- reading ----------------------------------------------------------------------------

    def _identities(self) -> dict[int, Identity]:
        return {
            row_id: Identity(name, email)
            for row_id, name, email in self._db.execute("SELECT id, name, email FROM identities")
        }

    def commits(self, wanted: Wanted) -> Iterator[Commit]:
        """The stored commits with these row ids, newest committer date first."""
        yield from self._commits(wanted, "ORDER BY c.committer_time DESC, c.id")

    def commit(self, row_id: int) -> Commit:
        """One stored commit by row id."""
        return next(self._commits({row_id}, f"WHERE c.id = {int(row_id)}"))

    def _commits(self, wanted: Wanted, clause: str) -> Iterator[Commit]:
        identities = self._identities()
        paths = {
            row_id: path_text(raw) for row_id, raw in self._db.execute("SELECT id, path FROM paths")
        }
        # One pass in index order (time index, then each commit's changes): no sort needed.
        rows = self._db.execute(
            "SELECT c.id, c.sha, c.parents, c.author, c.author_time, c.author_tz, c.committer,"
            " c.committer_time, c.committer_tz, c.message, c.trailers,"
            " x.path, x.old_path, x.added, x.deleted, x.status"
            f" FROM commits c LEFT JOIN changes x ON x.commit_id = c.id {clause}"
        )
        current: tuple[object, ...] | None = None
        files: list[FileChange] = []
        for row in rows:
            if current is None or row[0] != current[0]:
                if current is not None and (wanted is None or current[0] in wanted):
                    yield _commit(current, identities, files)
                current, files = row, []
            if row[11] is not None:
                path, old, added, deleted, status = row[11:]
                files.append(
                    FileChange(
                        paths[path], added, deleted, paths[old] if old else None, status or "M"
                    )
                )
        if current is not None and (wanted is None or current[0] in wanted):
            yield _commit(current, identities, files)

    def file_changes(
        self, wanted: Wanted
    ) -> Iterator[tuple[int, Identity, int, str, str | None, str, int]]:
        """(commit row id, author, author time, path, old path, status, lines added + deleted)
        of each file a non-merge commit changes.

        Lean on purpose: authorship over a large history needs these columns, not messages.
        """
        scope = self._scope(wanted)
        identities = self._identities()
        paths = {
            row_id: path_text(raw) for row_id, raw in self._db.execute("SELECT id, path FROM paths")
        }
        where = f"{scope} AND" if scope else "WHERE"
        for commit_id, author, when, path, old, status, lines in self._db.execute(
            "SELECT c.id, c.author, c.author_time, x.path, x.old_path, x.status,"
            " coalesce(x.added + x.deleted, 0)"
            " FROM commits c JOIN changes x ON x.commit_id = c.id"
            f" {where} instr(c.parents, ' ') = 0"
        ):
            yield (
                commit_id,
                identities[author],
                when,
                paths[path],
                paths[old] if old else None,
                status or "M",
                lines,
            )

    # -- aggregates: what summaries need, computed by SQLite instead of row by row ----------

    def _scope(self, wanted: Wanted) -> str:
        """A WHERE clause on commits `c` limiting them to `wanted`."""
        if wanted is None:
            return ""
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id INTEGER PRIMARY KEY)")
        self._db.execute("DELETE FROM temp.wanted")
        self._db.executemany("INSERT INTO temp.wanted VALUES (?)", ((i,) for i in wanted))
        return "WHERE c.id IN (SELECT id FROM temp.wanted)"

    def totals(self, wanted: Wanted) -> dict[str, int]:
        """Commit, merge, path, line, binary-change and rename counts over `wanted`."""
        scope = self._scope(wanted)
        commits, merges = self._db.execute(
            f"SELECT count(*), total(instr(c.parents, ' ') > 0) FROM commits c {scope}"
        ).fetchone()
        files, added, deleted, binary, renames = self._db.execute(
            "SELECT count(DISTINCT x.path), total(x.added), total(x.deleted),"
            " total(x.added IS NULL), total(x.old_path IS NOT NULL)"
            f" FROM changes x JOIN commits c ON c.id = x.commit_id {scope}"
        ).fetchone()
        return {
            "commits": commits,
            "merges": int(merges),
            "files": files,
            "lines_added": int(added),
            "lines_deleted": int(deleted),
            "binary_changes": int(binary),
            "renames": int(renames),
        }

    def by_author(
        self, wanted: Wanted
    ) -> Iterator[tuple[Identity, int, int, int, Signature, Signature]]:
        """Per author identity: commits, lines added, lines deleted, first and last commit."""
        scope = self._scope(wanted)
        identities = self._identities()
        # With one min() or max(), SQLite takes the bare column from that very row.
        first = self._db.execute(
            f"SELECT c.author, count(*), min(c.author_time), c.author_tz FROM commits c {scope}"
            " GROUP BY c.author"
        ).fetchall()
        last = dict(
            (a, (t, tz))
            for a, t, tz in self._db.execute(
                f"SELECT c.author, max(c.author_time), c.author_tz FROM commits c {scope}"
                " GROUP BY c.author"
            )
        )
        lines = dict(
            (a, (add, dele))
            for a, add, dele in self._db.execute(
                "SELECT c.author, total(x.added), total(x.deleted)"
                f" FROM changes x JOIN commits c ON c.id = x.commit_id {scope} GROUP BY c.author"
            )
        )
        for author, count, first_time, first_tz in first:
            added, deleted = lines.get(author, (0, 0))
            identity = identities[author]
            last_time, last_tz = last[author]
            yield (
                identity,
                count,
                int(added),
                int(deleted),
                Signature(identity, first_time, first_tz),
                Signature(identity, last_time, last_tz),
            )

    def edge_commits(self, wanted: Wanted) -> tuple[int, int] | None:
        """Row ids of the first and the last commit by author date (ties: committer date)."""
        scope = self._scope(wanted)
        ends = [
            self._db.execute(
                f"SELECT c.id FROM commits c {scope}"
                f" ORDER BY c.author_time {order}, c.committer_time {order}, c.id LIMIT 1"
            ).fetchone()
            for order in ("ASC", "DESC")
        ]
        return None if ends[0] is None else (ends[0][0], ends[1][0])


def _commit(
    row: tuple[Any, ...], identities: dict[int, Identity], files: list[FileChange]
) -> Commit:
    _, sha, parents, a, at, atz, c, ct, ctz, message, trailers = row[:11]
    return Commit(
        sha=sha,
        parents=tuple(parents.split()),
        author=Signature(identities[a], at, atz),
        committer=Signature(identities[c], ct, ctz),
        message=message,
        trailers=decode_trailers(trailers),
        files=tuple(files),
    )


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception (including Ctrl-C)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
