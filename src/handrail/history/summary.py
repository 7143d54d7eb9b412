"""What a history holds: counts, dates and contributors."""

from __future__ import annotations

from dataclasses import dataclass

from handrail.history import History
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


def summarize(history: History) -> tuple[HistorySummary, dict[Identity, IdentityStats]]:
    """Totals, plus per-identity stats to merge into people (aggregated by the cache)."""
    summary = HistorySummary(**history.totals())
    by_identity = {
        identity: IdentityStats(commits, added, deleted, first, last)
        for identity, commits, added, deleted, first, last in history.by_author()
    }
    summary.identities = len(by_identity)
    ends = history.first_and_last()
    if ends is not None:
        summary.first_commit, summary.last_commit = ends
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
