"""Who has left, and what their leaving orphans: files and components with no author left."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

_MONTH = 30.44 * 86400


@dataclass(frozen=True)
class Departure:
    person: str
    source: str  # "roster" (status = "departed"), "given" (--departed, a what-if) or "inferred"
    last_commit: int | None  # epoch seconds


def inferred_departures(last_commit: Mapping[str, int], now: int, months: int) -> list[Departure]:
    """Everyone whose last commit is more than `months` before `now`: labelled inferred."""
    cutoff = now - months * _MONTH
    return [
        Departure(person, "inferred", when)
        for person, when in sorted(last_commit.items())
        if when < cutoff
    ]


def orphaned(authors_of: Mapping[str, Collection[str]], gone: Collection[str]) -> list[str]:
    """Files that had authors and have none left."""
    return sorted(
        path for path, authors in authors_of.items() if authors and all(a in gone for a in authors)
    )


def departures(
    roster: Iterable[str],
    given: Iterable[str],
    last_commit: Mapping[str, int],
    authors: Collection[str],
    now: int,
    months: int,
) -> list[Departure]:
    """Everyone gone: roster first, then the what-if list, then (authors only) the inferred;
    one entry per person, an explicit source beating an inferred one. `months` 0: no
    inference."""
    active = {p: t for p, t in last_commit.items() if p in authors}
    groups = (
        [Departure(p, "roster", last_commit.get(p)) for p in roster],
        [Departure(p, "given", last_commit.get(p)) for p in given],
        inferred_departures(active, now, months) if months else [],
    )
    chosen: dict[str, Departure] = {}
    for group in groups:
        for departure in group:
            chosen.setdefault(departure.person, departure)
    return sorted(chosen.values(), key=lambda d: d.person)
