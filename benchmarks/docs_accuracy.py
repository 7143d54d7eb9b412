#!/usr/bin/env python3
"""Precision and recall of `handrail docs check` on the labeled corpus.

    python benchmarks/docs_accuracy.py [--corpus DIR] [--keep DIR] [--json OUT]

Every scenario of `tests/fixtures/docs_corpus/*.yaml` (see its README) is built as a real git
repository, `check_docs` runs on it as `handrail docs check` would, and each reported stale
reference is matched with the labels. Printed: precision and recall overall, per kind and per
verdict, how often the verdict (and a rename's new name) is right, and every false positive
and false negative. `tests/test_docs_accuracy.py` calls `evaluate` and holds it to a floor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "docs_corpus"
sys.path.insert(0, str(ROOT / "tests"))

from gitrepo import BASE_ENV, GitRepo  # noqa: E402  (the tests' one repository factory)


@dataclass(frozen=True)
class Label:
    """What is true of one reference a scenario's doc makes."""

    scenario: str
    doc: str
    ref: str
    kind: str
    stale: bool
    verdicts: tuple[str, ...] = ()
    new_name: str | None = None
    why: str | None = None


@dataclass(frozen=True)
class Reported:
    """One stale reference `check_docs` reported."""

    scenario: str
    doc: str
    line: int
    reference: str
    kind: str
    verdict: str
    reason: str
    new_name: str | None


@dataclass
class Evaluation:
    """Every label's outcome and every report no label explains."""

    detected: list[tuple[Label, list[Reported]]] = field(default_factory=list)  # true positives
    missed: list[Label] = field(default_factory=list)  # false negatives
    false_alarms: list[tuple[Label, list[Reported]]] = field(default_factory=list)
    quiet: list[Label] = field(default_factory=list)  # true negatives
    unlabeled: list[Reported] = field(default_factory=list)  # counted as false positives
    scenarios: int = 0

    @property
    def true_positives(self) -> int:
        return len(self.detected)

    @property
    def false_positives(self) -> int:
        return len(self.false_alarms) + len(self.unlabeled)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        stale = self.true_positives + len(self.missed)
        return self.true_positives / stale if stale else 1.0

    @property
    def labels(self) -> int:
        return len(self.detected) + len(self.missed) + len(self.false_alarms) + len(self.quiet)


def load_scenarios(corpus: Path = CORPUS) -> list[dict[str, Any]]:
    scenarios: list[dict[str, Any]] = []
    for path in sorted(corpus.glob("*.yaml")):
        scenarios.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    names = [s["name"] for s in scenarios]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"{corpus}: scenario names used twice: {sorted(duplicates)}")
    return scenarios


def labels_of(scenario: dict[str, Any]) -> list[Label]:
    labels = []
    for entry in scenario["labels"]:
        verdict = entry.get("verdict", ())
        labels.append(
            Label(
                scenario=scenario["name"],
                doc=entry["doc"],
                ref=str(entry["ref"]),
                kind=entry["kind"],
                stale=bool(entry["stale"]),
                verdicts=tuple(verdict)
                if isinstance(verdict, list)
                else (verdict,) * bool(verdict),
                new_name=entry.get("new_name"),
                why=entry.get("why"),
            )
        )
    return labels


def build(scenario: dict[str, Any], path: Path) -> GitRepo:
    """The scenario's history as a real repository: one commit per step, a minute apart."""
    repo = GitRepo(path)
    for number, step in enumerate(scenario["commits"]):
        repo.commit(
            f"{scenario['name']}: step {number + 1}",
            step.get("files") or {},
            renames=step.get("renames") or {},
        )
    return repo


def check(scenario: dict[str, Any], path: Path) -> list[Reported]:
    """Build the scenario at `path` and run the check as `handrail docs check` does."""
    from handrail import git
    from handrail.config import load_config
    from handrail.docs.check import check_docs

    build(scenario, path)
    repo = git.open_repo(path)
    report = check_docs(repo, None, None, load_config(repo).docs)
    return [
        Reported(
            scenario["name"], s.doc, s.line, s.reference, s.kind, s.verdict, s.reason, s.new_name
        )
        for s in report.stale
    ]


def _normal(name: str) -> str:
    name = name.strip().strip("`").removeprefix("$").strip("{}").removesuffix("()")
    return name.removeprefix("./")


def matches(label: Label, reported: Reported) -> bool:
    """The same reference, maybe with a program, an owner or a directory in front of one."""
    if label.doc != reported.doc:
        return False
    a, b = _normal(label.ref), _normal(reported.reference)
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if any(long.endswith(f"{glue}{short}") for glue in (" ", ".", "/", ":")):
        return True
    # A Sphinx document name (`usage` in a toctree) is its file without the suffix.
    suffix = long.removeprefix(short)
    return label.kind == "link" and suffix.startswith(".") and suffix[1:].isalnum()


def _right_verdict(label: Label, reports: list[Reported]) -> bool:
    return any(r.verdict in label.verdicts for r in reports)


def _right_new_name(label: Label, reports: list[Reported]) -> bool:
    wanted = _normal(label.new_name or "")
    return any(
        r.new_name and (_normal(r.new_name) == wanted or _normal(r.new_name).endswith(wanted))
        for r in reports
    )


def evaluate(corpus: Path = CORPUS, workdir: Path | None = None) -> Evaluation:
    """Build and check every scenario (under `workdir`, else a temporary folder) and score it."""
    result = Evaluation()
    with tempfile.TemporaryDirectory(prefix="handrail-docs-corpus-") as temporary:
        where = workdir or Path(temporary)
        for scenario in load_scenarios(corpus):
            result.scenarios += 1
            reports = check(scenario, where / scenario["name"])
            explained: set[int] = set()
            for label in labels_of(scenario):
                hits = [r for r in reports if matches(label, r)]
                explained.update(id(r) for r in hits)
                if label.stale:
                    (result.detected.append((label, hits)) if hits else result.missed.append(label))
                elif hits:
                    result.false_alarms.append((label, hits))
                else:
                    result.quiet.append(label)
            seen: set[tuple[str, str]] = set()
            for report in reports:
                key = (report.doc, _normal(report.reference))
                if id(report) not in explained and key not in seen:
                    seen.add(key)
                    result.unlabeled.append(report)
    return result


def _rate(hit: int, total: int) -> str:
    return f"{hit / total:.3f} ({hit}/{total})" if total else "n/a"


def breakdown(result: Evaluation) -> dict[str, dict[str, dict[str, Any]]]:
    """Precision and recall per label kind, recall and verdict accuracy per expected verdict."""
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for label, _ in result.detected:
        kinds[label.kind]["tp"] += 1
    for label in result.missed:
        kinds[label.kind]["fn"] += 1
    for label, _ in result.false_alarms:
        kinds[label.kind]["fp"] += 1
    for report in result.unlabeled:
        kinds[report.kind]["fp"] += 1
    verdicts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for label, reports in result.detected:
        row = verdicts["/".join(label.verdicts)]
        row["tp"] += 1
        row["right_verdict"] += _right_verdict(label, reports)
        if label.new_name:
            row["renames"] += 1
            row["right_new_name"] += _right_new_name(label, reports)
    for label in result.missed:
        verdicts["/".join(label.verdicts)]["fn"] += 1
    return {
        "kind": {
            kind: {
                "precision": _rate(row["tp"], row["tp"] + row["fp"]),
                "recall": _rate(row["tp"], row["tp"] + row["fn"]),
            }
            for kind, row in sorted(kinds.items())
        },
        "verdict": {
            verdict: {
                "recall": _rate(row["tp"], row["tp"] + row["fn"]),
                "right_verdict": _rate(row["right_verdict"], row["tp"]),
                "right_new_name": _rate(row["right_new_name"], row["renames"]),
            }
            for verdict, row in sorted(verdicts.items())
        },
    }


def _report_line(report: Reported) -> str:
    return f"{report.doc}:{report.line} {report.reference!r} [{report.kind}, {report.verdict}]"


def render(result: Evaluation) -> Iterable[str]:
    yield (
        f"{result.scenarios} scenarios, {result.labels} labeled references"
        f" ({result.true_positives + len(result.missed)} stale)"
    )
    found, stale = result.true_positives, result.true_positives + len(result.missed)
    yield f"precision {_rate(found, found + result.false_positives)}"
    yield f"recall    {_rate(found, stale)}"
    tables = breakdown(result)
    yield "\nper kind (label's kind; an unlabeled report counts under its reported kind):"
    for kind, row in tables["kind"].items():
        yield f"  {kind:8} precision {row['precision']:18} recall {row['recall']}"
    yield "\nper expected verdict:"
    for verdict, row in tables["verdict"].items():
        yield (
            f"  {verdict:16} recall {row['recall']:18} verdict right {row['right_verdict']:14}"
            f" new name right {row['right_new_name']}"
        )
    yield f"\nfalse negatives ({len(result.missed)}):"
    for label in result.missed:
        verdicts = "/".join(label.verdicts)
        yield f"  [{label.scenario}] {label.doc} {label.ref!r} ({label.kind}, {verdicts})"
    yield f"\nfalse positives on labeled references ({len(result.false_alarms)}):"
    for label, reports in result.false_alarms:
        yield f"  [{label.scenario}] {label.ref!r} ({label.why}): " + "; ".join(
            f"{_report_line(r)} {r.reason}" for r in reports
        )
    yield f"\nreports no label explains, counted as false positives ({len(result.unlabeled)}):"
    for report in result.unlabeled:
        yield f"  [{report.scenario}] {_report_line(report)} {report.reason}"
    wrong = [
        (label, reports)
        for label, reports in result.detected
        if not _right_verdict(label, reports)
        or (label.new_name and not _right_new_name(label, reports))
    ]
    yield f"\ndetected with another verdict or new name ({len(wrong)}):"
    for label, reports in wrong:
        yield (
            f"  [{label.scenario}] {label.ref!r} expected {'/'.join(label.verdicts)}"
            f"{' -> ' + label.new_name if label.new_name else ''}: "
            + "; ".join(f"{r.verdict} -> {r.new_name}" for r in reports)
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of scenario files")
    parser.add_argument("--keep", type=Path, help="build the repositories here and keep them")
    parser.add_argument("--json", type=Path, help="also write the numbers and misses here")
    args = parser.parse_args(argv)
    # Handrail's own git calls must not read this user's git configuration either.
    for key in ("GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL"):
        os.environ[key] = BASE_ENV[key]
    result = evaluate(args.corpus, args.keep)
    for line in render(result):
        print(line)
    if args.json:
        data = {
            "scenarios": result.scenarios,
            "labels": result.labels,
            "precision": result.precision,
            "recall": result.recall,
            **breakdown(result),
            "false_negatives": [asdict(label) for label in result.missed],
            "false_positives": [asdict(r) for _, rs in result.false_alarms for r in rs]
            + [asdict(r) for r in result.unlabeled],
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
