"""What a history holds: counts, dates and contributors (pure: commits in, numbers out)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from handrail.model import Commit, Identity, Signature
from handrail.people import People


@dataclass
class IdentityStats:
    """One identity's authorship, before identities are merged into people."""

    commits: int = 0
    added: int = 0
    deleted: int = 0
    first: Signature | None = None
    last: Signature | None = None

    def count(self, commit: Commit) -> None:
        self.commits += 1
        for change in commit.files:
            self.added += change.added or 0
            self.deleted += change.deleted or 0
        when = commit.author
        if self.first is None or when.time < self.first.time:
            self.first = when
        if self.last is None or when.time > self.last.time:
            self.last = when

    def absorb(self, other: IdentityStats) -> None:
        self.commits += other.commits
        self.added += other.added
        self.deleted += other.deleted
        for mine in (other.first, other.last):
            if mine is None:
                continue
            if self.first is None or mine.time < self.first.time:
                self.first = mine
            if self.last is None or mine.time > self.last.time:
                self.last = mine


@dataclass
class Contributor:
    """A person's share of the history."""

    person_id: str
    name: str
    email: str
    aliases: int
    stats: IdentityStats


@dataclass
class HistorySummary:
    commits: int = 0
    merges: int = 0
    identities: int = 0
    files: int = 0
    lines_added: int = 0
    lines_deleted: int = 0
    binary_changes: int = 0
    renames: int = 0
    first_commit: Commit | None = None
    last_commit: Commit | None = None
    contributors: list[Contributor] = field(default_factory=list)


def _when(commit: Commit) -> tuple[int, int]:
    return commit.author.time, commit.committer.time


def collect(commits: Iterable[Commit]) -> tuple[HistorySummary, dict[Identity, IdentityStats]]:
    """One pass over the history: totals, plus per-identity stats to merge into people."""
    summary = HistorySummary()
    by_identity: dict[Identity, IdentityStats] = {}
    paths: set[str] = set()
    for commit in commits:
        summary.commits += 1
        summary.merges += commit.is_merge
        by_identity.setdefault(commit.author.identity, IdentityStats()).count(commit)
        for change in commit.files:
            paths.add(change.path)
            summary.lines_added += change.added or 0
            summary.lines_deleted += change.deleted or 0
            summary.binary_changes += change.binary
            summary.renames += change.old_path is not None
        # Commits arrive newest first: on equal times the older one (seen later) is first.
        when = (commit.author.time, commit.committer.time)
        if summary.first_commit is None or when <= _when(summary.first_commit):
            summary.first_commit = commit
        if summary.last_commit is None or when > _when(summary.last_commit):
            summary.last_commit = commit
    summary.files = len(paths)
    summary.identities = len(by_identity)
    return summary, by_identity


def contributors(by_identity: dict[Identity, IdentityStats], people: People) -> list[Contributor]:
    """Per-person totals, most commits first."""
    merged: dict[str, Contributor] = {}
    for identity, stats in by_identity.items():
        person = people.of(identity)
        entry = merged.get(person.id)
        if entry is None:
            entry = merged[person.id] = Contributor(
                person.id, person.name, person.email, len(person.identities), IdentityStats()
            )
        entry.stats.absorb(stats)
    return sorted(merged.values(), key=lambda c: (-c.stats.commits, c.person_id))
