"""Degree of authorship (Avelino et al., ICPC 2016), with the edge rules of their tool.

DOA = 3.293 + 1.098·FA + 0.164·DL - 0.321·ln(1 + AC) per (developer, file), where FA says
the developer created the file, DL counts their deliveries (changes) and AC everyone else's.
The rules below are those of the authors' public tool (aserg-ufmg/Truck-Factor, 2015), read
from its source, because the paper leaves them open:

* A file's history is every non-merge change recorded under its path, extended through each
  rename to every change recorded under the old path (recursively): `git log --name-status
  --find-renames` keyed by path. Merges contribute nothing; deletions are ignored.
* A change that creates the file (status A) gives its author FA = 1, whoever else created the
  same path before (a file re-added by someone else has several creators); a creation is not
  a delivery. Modifications and renames are deliveries.
* A developer is an author when DOA / (the file's highest DOA) > 0.75 and (DOA ≥ 3.293 or
  they created the file). The tool's comparison is strict; the paper writes "≥": equal
  ratios never occur in practice, but the tool is what produced the published numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

BASE = 3.293
FIRST_AUTHORSHIP = 1.098
DELIVERIES = 0.164
ACCEPTANCES = 0.321
NORMALIZED_THRESHOLD = 0.75
ABSOLUTE_THRESHOLD = 3.293


@dataclass(frozen=True, slots=True)
class Change:
    """One non-merge commit's change to one path, with the person behind it."""

    commit: int  # a commit id unique within one history
    person: str
    time: int
    path: str
    old_path: str | None
    status: str  # "A" created, "D" deleted, "M" anything else
    lines: int = 0  # added + deleted


def doa(created: bool, deliveries: int, acceptances: int) -> float:
    return (
        BASE
        + FIRST_AUTHORSHIP * created
        + DELIVERIES * deliveries
        - ACCEPTANCES * math.log(1 + acceptances)
    )


@dataclass
class FileAuthorship:
    """Everyone who touched one file, their DOA, and who counts as its authors."""

    path: str
    doa: dict[str, float]
    creators: frozenset[str]
    deliveries: dict[str, int]
    authors: frozenset[str]
    changes: list[Change] = field(repr=False)

    @property
    def main_author(self) -> str | None:
        """The developer with the highest DOA (ties: the smaller id, for a stable answer)."""
        if not self.doa:
            return None
        return min(self.doa, key=lambda person: (-self.doa[person], person))


def _by_path(changes: Iterable[Change]) -> dict[str, list[Change]]:
    index: dict[str, list[Change]] = {}
    for change in changes:
        index.setdefault(change.path, []).append(change)
    return index


def file_history(path: str, by_path: Mapping[str, list[Change]]) -> list[Change]:
    """Changes under `path`, extended through renames to every change of each old path."""
    seen_paths = {path}
    todo = [path]
    history: list[Change] = []
    while todo:
        for change in by_path.get(todo.pop(), ()):
            history.append(change)
            old = change.old_path
            if old is not None and old not in seen_paths:
                seen_paths.add(old)
                todo.append(old)
    return history


def authorship_of(path: str, history: list[Change]) -> FileAuthorship:
    creators = {c.person for c in history if c.status == "A"}
    deliveries: dict[str, int] = {}
    total = 0
    for change in history:
        if change.status == "M":
            deliveries[change.person] = deliveries.get(change.person, 0) + 1
            total += 1
    people = creators | deliveries.keys()
    values = {
        person: doa(
            person in creators, deliveries.get(person, 0), total - deliveries.get(person, 0)
        )
        for person in people
    }
    best = max(values.values(), default=0.0)
    authors = frozenset(
        person
        for person, value in values.items()
        if best > 0
        and value / best > NORMALIZED_THRESHOLD
        and (value >= ABSOLUTE_THRESHOLD or person in creators)
    )
    return FileAuthorship(path, values, frozenset(creators), deliveries, authors, history)


def authorship(files: Iterable[str], changes: Iterable[Change]) -> dict[str, FileAuthorship]:
    """DOA authorship of each file that has any history; files without one are left out
    (the tool drops them too: they are neither authored nor orphaned, just unknown)."""
    by_path = _by_path(c for c in changes if c.status != "D")
    result: dict[str, FileAuthorship] = {}
    for path in files:
        history = file_history(path, by_path)
        if history:
            result[path] = authorship_of(path, history)
    return result
