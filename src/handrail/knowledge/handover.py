"""A hand-over document for a departing person, shaped as an architecture decision record.

The facts (what they alone or mainly know, the commits that explain it, what changes with
it, where it is documented) are filled in; the decisions are left for people to write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from handrail.catalog import Component
from handrail.knowledge.authorship import FileAuthorship
from handrail.knowledge.report import UNKNOWN_TIER, tier_of

KEY_COMMITS = 10
PARTNERS_PER_FILE = 3
FILES_SHOWN = 40


@dataclass(frozen=True)
class HandoverItem:
    path: str
    role: str  # "only author" or "main author"
    doa: float
    tier: int | None
    components: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class CommitNote:
    sha: str
    date: str
    subject: str
    files: int  # how many of the hand-over files it touched


def handover_items(
    person: str,
    authorship: Mapping[str, FileAuthorship],
    components: Sequence[Component],
    scores: Mapping[str, float],
) -> list[HandoverItem]:
    """Files where `person` is the only author, or the main one: riskiest first."""
    items = []
    for path, fa in authorship.items():
        if person not in fa.authors:
            continue
        if fa.authors == {person}:
            role = "only author"
        elif fa.main_author == person:
            role = "main author"
        else:
            continue
        items.append(
            HandoverItem(
                path,
                role,
                fa.doa[person],
                tier_of(path, components),
                tuple(c.name for c in components if c.covers(path)),
                scores.get(path, 0.0),
            )
        )
    return sorted(
        items,
        key=lambda i: (
            UNKNOWN_TIER if i.tier is None else i.tier,
            i.role != "only author",
            -i.score,
            i.path,
        ),
    )


def co_changes(
    items: Sequence[HandoverItem], authorship: Mapping[str, FileAuthorship]
) -> dict[str, list[tuple[str, int]]]:
    """For each hand-over file, the files most often changed in the same commits."""
    by_commit: dict[int, set[str]] = {}
    for path, fa in authorship.items():
        for change in fa.changes:
            by_commit.setdefault(change.commit, set()).add(path)
    partners: dict[str, list[tuple[str, int]]] = {}
    for item in items:
        counts = Counter[str]()
        for change in authorship[item.path].changes:
            counts.update(p for p in by_commit.get(change.commit, ()) if p != item.path)
        partners[item.path] = counts.most_common(PARTNERS_PER_FILE)
    return partners


def key_commit_ids(
    person: str, items: Sequence[HandoverItem], authorship: Mapping[str, FileAuthorship]
) -> list[tuple[int, int]]:
    """(commit id, hand-over files touched) of the person's commits that touched most of them."""
    counts = Counter[int]()
    for item in items:
        counts.update({c.commit for c in authorship[item.path].changes if c.person == person})
    return counts.most_common(KEY_COMMITS)


def render_markdown(
    person: str,
    name: str,
    items: Sequence[HandoverItem],
    commits: Sequence[CommitNote],
    partners: Mapping[str, list[tuple[str, int]]],
    docs: Mapping[str, list[str]],
    today: datetime | None = None,
) -> str:
    day = (today or datetime.now(UTC)).date().isoformat()
    only = sum(1 for i in items if i.role == "only author")
    components = sorted({c for i in items for c in i.components})
    out = [
        f"# Hand-over: knowledge held by {name} ({person})",
        "",
        "- Status: proposed",
        f"- Date: {day}",
        "- Deciders: _who decides who takes over_",
        "- Successors: _names_",
        "",
        "## Context",
        "",
        f"{name} is the only author of {only} file(s) and the main author of"
        f" {len(items) - only} more, by degree of authorship over the history"
        + (f", in components: {', '.join(components)}." if components else "."),
        "Riskiest first: most critical tier, only-author before main-author, busiest and most"
        " complex code first.",
        "",
        "## Knowledge to hand over",
        "",
        "| # | file | components (tier) | role | DOA | hotspot score | successor |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, item in enumerate(items[:FILES_SHOWN], 1):
        tier = "?" if item.tier is None else str(item.tier)
        where = ", ".join(item.components) or "-"
        out.append(
            f"| {number} | `{item.path}` | {where} ({tier}) | {item.role} | {item.doa:.2f}"
            f" | {item.score:.0f} | _ |"
        )
    if len(items) > FILES_SHOWN:
        out.append(f"\n… and {len(items) - FILES_SHOWN} more (see `handrail knowledge` JSON).")
    out += ["", "## Key commits", ""]
    out += [f"- `{c.sha[:12]}` {c.date} {c.subject} ({c.files} file(s))" for c in commits] or [
        "- none"
    ]
    out += ["", "## Files that change together", ""]
    for item in items[:FILES_SHOWN]:
        together = ", ".join(f"`{p}` ({n} commits)" for p, n in partners.get(item.path, []))
        if together:
            out.append(f"- `{item.path}`: {together}")
    out += ["", "## Related documentation", ""]
    related = [
        f"- `{doc}` mentions {', '.join(f'`{p}`' for p in paths)}" for doc, paths in docs.items()
    ]
    out += related or ["- none found: _write down where this knowledge lives_"]
    out += [
        "",
        "## Decision",
        "",
        "_Who takes over each area above, and how (pairing, recorded walkthrough, written"
        " runbook), by when._",
        "",
        "## Consequences",
        "",
        "_What stays at risk after the hand-over; which reviews need the successor from now on._",
        "",
        "## Open questions",
        "",
        "- _What does only this person know that the code and the docs do not say?_",
        "",
    ]
    return "\n".join(out)


def related_docs(
    items: Sequence[HandoverItem], docs: Sequence[str], read: Callable[[str], str]
) -> dict[str, list[str]]:
    """Documentation files that name a hand-over file by its path or its file name."""
    found: dict[str, list[str]] = {}
    for doc in docs:
        text = read(doc)
        hits = [i.path for i in items if i.path in text or _distinct_name(i.path) in text]
        if hits:
            found[doc] = hits[:5]
    return found


def _distinct_name(path: str) -> str:
    """The file name, when it says something on its own ("__init__.py" does not)."""
    name = path.rsplit("/", 1)[-1]
    return path if name.startswith("__") or "." not in name else name
