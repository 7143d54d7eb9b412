"""The greedy truck factor (Avelino et al.): remove the developer who authors the most files
until fewer than half of the files have an author left."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

COVERAGE = 0.5


@dataclass(frozen=True)
class TruckFactorAuthor:
    person: str
    files: int  # files this person is an author of
    share: float  # of all files considered


@dataclass(frozen=True)
class TruckFactor:
    value: int
    authors: tuple[TruckFactorAuthor, ...]  # in the order the algorithm removed them
    files: int
    coverage: float  # share of files still authored once those authors are gone


def truck_factor(
    authors_of: Mapping[str, Collection[str]],
    activity: Mapping[str, int] | None = None,
    gone: Collection[str] = (),
) -> TruckFactor:
    """`authors_of` maps each considered file to its authors (possibly none).

    Ties between equally prolific developers go to the more active one (`activity`, as the
    tool's pruned variant does), then to the smaller id, so the answer never depends on
    iteration order. People in `gone` are removed before the count starts.
    """
    total = len(authors_of)
    files_of: dict[str, set[str]] = {}
    for path, authors in authors_of.items():
        for person in authors:
            if person not in gone:
                files_of.setdefault(person, set()).add(path)
    covered_count: dict[str, int] = {}
    for path, authors in authors_of.items():
        live = sum(1 for a in authors if a not in gone)
        if live:
            covered_count[path] = live
    activity = activity or {}
    removed: list[TruckFactorAuthor] = []
    while files_of and total:
        if len(covered_count) / total < COVERAGE:
            break
        top = min(files_of, key=lambda p: (-len(files_of[p]), -activity.get(p, 0), p))
        owned = files_of.pop(top)
        removed.append(TruckFactorAuthor(top, len(owned), len(owned) / total))
        for path in owned:
            covered_count[path] -= 1
            if not covered_count[path]:
                del covered_count[path]
    return TruckFactor(
        len(removed), tuple(removed), total, len(covered_count) / total if total else 0.0
    )
