"""The knowledge report: truck factors per scope, knowledge loss and hotspots (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handrail.catalog import Component
from handrail.knowledge.authorship import FileAuthorship
from handrail.knowledge.hotspots import Activity, Complexity, activity, score
from handrail.knowledge.loss import Departure, orphaned
from handrail.knowledge.truck_factor import TruckFactor, truck_factor

# lizard is slow on big files, so it measures only the files a report can show: the busiest
# ones (hotspot candidates) and the busiest orphaned ones in the most critical tiers.
HOTSPOT_CANDIDATES = 30
ORPHANS_MEASURED = 20
HOTSPOTS_SHOWN = 20
ORPHANS_SHOWN = 50
UNKNOWN_TIER = 2  # a file no component covers is neither critical nor harmless


@dataclass(frozen=True)
class KnowledgeInputs:
    files: Sequence[str]  # the source files at the revision
    authorship: Mapping[str, FileAuthorship]
    names: Mapping[str, str]  # person id -> display name
    components: Sequence[Component]
    departures: Sequence[Departure]
    now: int  # the revision's commit time: "recent" and "inactive" are measured from it
    recent_days: int


@dataclass(frozen=True)
class Scored:
    """A file's hotspot facts."""

    activity: Activity
    complexity: Complexity | None

    @property
    def score(self) -> float:
        return score(self.activity, self.complexity) if self.complexity else 0.0


def tier_of(path: str, components: Sequence[Component]) -> int | None:
    tiers = [c.tier for c in components if c.tier is not None and c.covers(path)]
    return min(tiers) if tiers else None


def _activity_counts(authorship: Mapping[str, FileAuthorship]) -> dict[str, int]:
    # The tool's tie-break: files created plus deliveries, summed over files.
    counts: dict[str, int] = {}
    for fa in authorship.values():
        for person in fa.doa:
            counts[person] = (
                counts.get(person, 0) + (person in fa.creators) + fa.deliveries.get(person, 0)
            )
    return counts


def _tf_json(tf: TruckFactor, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "truck_factor": tf.value,
        "files": tf.files,
        "coverage_after": round(tf.coverage, 4),
        "authors": [
            {
                "id": a.person,
                "name": names.get(a.person, a.person),
                "files": a.files,
                "share": round(a.share, 4),
            }
            for a in tf.authors
        ],
    }


def scoped_truck_factors(
    inputs: KnowledgeInputs, activity_counts: Mapping[str, int], gone: frozenset[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per component and per top-level directory: truck factor now and after departures."""
    authors_of = {p: fa.authors for p, fa in inputs.authorship.items()}

    def one(name: str, files: list[str], extra: dict[str, Any]) -> dict[str, Any]:
        part = {p: authors_of[p] for p in files if p in authors_of}
        tf = truck_factor(part, activity_counts)
        entry = {"name": name, **extra, **_tf_json(tf, inputs.names)}
        if gone:
            left = orphaned(part, gone)
            entry["remaining_truck_factor"] = truck_factor(part, activity_counts, gone).value
            entry["orphaned_files"] = len(left)
            entry["orphaned"] = bool(part) and len(left) == sum(1 for a in part.values() if a)
        return entry

    components = [
        one(
            c.name,
            [p for p in inputs.files if c.covers(p)],
            {"tier": c.tier, "source": c.source},
        )
        for c in inputs.components
    ]
    top: dict[str, list[str]] = {}
    for path in inputs.files:
        head, sep, _ = path.partition("/")
        top.setdefault(head + "/" if sep else ".", []).append(path)
    directories = [one(d, files, {}) for d, files in sorted(top.items())]
    return components, directories


def build_report(
    inputs: KnowledgeInputs,
    measure: Callable[[list[str]], Mapping[str, Complexity]],
) -> dict[str, Any]:
    """Everything `handrail knowledge` reports; `measure` gives lizard's view of some files."""
    authorship = inputs.authorship
    authors_of = {p: fa.authors for p, fa in authorship.items()}
    counts = _activity_counts(authorship)
    tf = truck_factor(authors_of, counts)
    gone = frozenset(d.person for d in inputs.departures)
    left = orphaned(authors_of, gone)
    acts = {p: activity(fa.changes, inputs.now, inputs.recent_days) for p, fa in authorship.items()}
    busiest = sorted(acts, key=lambda p: (-acts[p].changes, p))[:HOTSPOT_CANDIDATES]

    def tier(path: str) -> int:
        found = tier_of(path, inputs.components)
        return UNKNOWN_TIER if found is None else found

    critical = sorted(left, key=lambda p: (tier(p), -acts[p].changes, p))[:ORPHANS_MEASURED]
    wanted = sorted(set(busiest) | set(critical))
    sizes = measure(wanted)
    scored = {p: Scored(acts[p], sizes.get(p)) for p in authorship}
    components, directories = scoped_truck_factors(inputs, counts, gone)

    def file_entry(path: str) -> dict[str, Any]:
        facts = scored[path]
        size = facts.complexity
        return {
            "path": path,
            "tier": tier_of(path, inputs.components),
            "authors": [
                {"id": a, "name": inputs.names.get(a, a)} for a in sorted(authors_of[path])
            ],
            "changes": facts.activity.changes,
            "recent_changes": facts.activity.recent_changes,
            "recent_churn": facts.activity.recent_churn,
            "nloc": size.nloc if size else None,
            "complexity": size.ccn if size else None,
            "hotspot_score": facts.score,
            "orphaned": path in gone_set,
        }

    gone_set = set(left)

    def risk(path: str) -> tuple[int, float, int, str]:
        return (tier(path), -scored[path].score, -acts[path].changes, path)

    top = sorted((p for p in wanted if scored[p].complexity), key=lambda p: (-scored[p].score, p))
    # The riskiest first: among the top hotspots, those nobody left knows.
    hotspots = sorted(top[:HOTSPOTS_SHOWN], key=lambda p: (p not in gone_set, -scored[p].score, p))
    remaining = truck_factor(authors_of, counts, gone)
    authored = [p for p, a in authors_of.items() if a]
    return {
        "truck_factor": tf.value,
        "truck_factor_authors": _tf_json(tf, inputs.names)["authors"],
        "files": {
            "source": len(inputs.files),
            "with_history": len(authorship),
            "with_author": len(authored),
        },
        "components": components,
        "directories": directories,
        "knowledge_loss": {
            "departed": [
                {
                    "id": d.person,
                    "name": inputs.names.get(d.person, d.person),
                    "source": d.source,
                    "files_authored": sum(1 for a in authors_of.values() if d.person in a),
                }
                for d in inputs.departures
            ],
            "remaining_truck_factor": remaining.value,
            "orphaned_file_count": len(left),
            "orphaned_share": round(len(left) / len(authorship), 4) if authorship else 0.0,
            "orphaned_files": [file_entry(p) for p in sorted(left, key=risk)[:ORPHANS_SHOWN]],
            "orphaned_components": [c["name"] for c in components if c.get("orphaned")],
        },
        "hotspots": [file_entry(p) for p in hotspots],
    }
