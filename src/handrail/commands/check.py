"""`handrail check`: the gate for a change — which controls it needs, and whether they are met."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from handrail import git
from handrail.blast.findings import Destruction
from handrail.blast.imports import component_dependents, import_graph
from handrail.blast.safeguards import safeguard_changes
from handrail.blast.score import blast_score
from handrail.blast.sql import analyze_sql, is_migration
from handrail.blast.terraform import analyze_plan
from handrail.catalog import Catalog, build_catalog
from handrail.commands.common import mailmap_of, open_repo, roster
from handrail.config import SENIORITY_RANK, PersonConfig, load_config
from handrail.errors import HandrailError
from handrail.history import read_commits
from handrail.model import Commit, Identity
from handrail.people import merge_people
from handrail.policy.approvals import NOTES_REF, Approval, decode_note, judge, signed_payload
from handrail.policy.controls import ChangeFacts, Reach, required_controls
from handrail.policy.decision import decide
from handrail.policy.github import fetch_reviews, pull_request_context
from handrail.policy.rules import load_rules
from handrail.policy.signing import signing_setup, verify
from handrail.provenance import NOTES_REF as PROVENANCE_NOTES
from handrail.provenance import change_provenance
from handrail.render import check as render

NAME = "check"
SUMMARY = "Gate a change: provenance, blast radius, required approvals; exit 1 unless it passes."
FORMATS = ("text", "json", "markdown", "sarif")
EXAMPLES = """\
examples:
  handrail check --base origin/main                     the change from main to HEAD
  handrail check --base main --head feature --format json
  handrail check --base main --plan plan.json           with a Terraform plan (terraform show -json)
  handrail check --base main --format markdown          a pull-request comment
  handrail check --base main --format json --summary "$GITHUB_STEP_SUMMARY"

The policy and components that judge a change are those of --base, never the change's own.
Exit 0: pass; 1: needs approval or blocked; 2: usage, configuration or input error.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", required=True, help="where the change starts (e.g. origin/main)")
    parser.add_argument("--head", default="HEAD", help="where the change ends (default: HEAD)")
    parser.add_argument(
        "--plan",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a Terraform plan as JSON (terraform show -json); repeatable",
    )
    parser.add_argument(
        "--summary",
        type=Path,
        metavar="FILE",
        help="also append the Markdown report to FILE (e.g. $GITHUB_STEP_SUMMARY)",
    )


def _read_plan(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HandrailError(f"{path}: cannot read the plan ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise HandrailError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def _reached(
    catalog: Catalog, changed: Sequence[str], dependents: Sequence[tuple[Any, str]]
) -> list[Reach]:
    """Components changed directly, then those reached only through imports."""
    reached: dict[str, Reach] = {}
    for path in changed:
        for component in catalog.components_of(path):
            reached.setdefault(component.name, Reach(component, True, path))
    for component, chain in dependents:
        reached.setdefault(component.name, Reach(component, False, chain))
    return list(reached.values())


def _author_facts(
    commits: Sequence[Commit], people: Any, entries: Mapping[str, PersonConfig]
) -> dict[str, Any]:
    """The least senior human author speaks for the change: friction errs on the safe side."""
    least: dict[str, Any] | None = None
    for commit in commits:
        person = people.of(commit.author.identity).id
        entry = entries.get(person)
        facts = {
            "id": person,
            "seniority": entry.seniority if entry else "unknown",
            "known": entry is not None,
        }
        rank = SENIORITY_RANK.get(facts["seniority"], -1)
        if least is None or rank < SENIORITY_RANK.get(least["seniority"], -1):
            least = facts
    return least or {"id": "", "seniority": "unknown", "known": False}


def _migration_findings(repo: git.RepoInfo, head: str, paths: Sequence[str]) -> list[Destruction]:
    """Destructive statements in the forward migrations the change adds or edits."""
    found: list[Destruction] = []
    for path in paths:
        raw = git.read_blob(repo, head, path) if is_migration(path) else None
        if raw is not None:  # None: the change deletes the file
            found += analyze_sql(raw.decode("utf-8", "replace"), path)
    return found


def run(args: argparse.Namespace) -> int:
    repo = open_repo(args)
    plans = [(str(path), _read_plan(path)) for path in args.plan]
    base = git.resolve_commit(repo, args.base)
    head = git.resolve_commit(repo, args.head)
    if base is None or head is None:
        raise HandrailError(f"{repo.cwd}: the repository has no commits yet")
    fork = git.merge_base(repo, base, head)
    # The base revision's policy and catalog judge the change: a change cannot loosen its gate.
    config = load_config(repo, base)
    catalog = build_catalog(
        config, git.list_files(repo, base), lambda path: git.read_blob(repo, base, path)
    )
    changes = git.changed_paths(repo, fork, head)
    changed = sorted({p for path, old in changes for p in (path, old) if p})
    commits = read_commits(repo, git.rev_list(repo, head, exclude=[fork]))

    provenance = change_provenance(
        commits, git.read_notes(repo, PROVENANCE_NOTES, [c.sha for c in commits])
    )
    # Importers as of the head; for files the change deletes or renames away, only the base's
    # graph knows who used them. The head's graph is derived from the base's when that is cached.
    edges: frozenset[tuple[str, str]] = frozenset()
    if set(changed) - set(git.list_files(repo, head)):
        edges = import_graph(repo, base).edges
    edges |= import_graph(repo, head, near=base).edges
    dependents = [
        (d.component, d.explanation) for d in component_dependents(catalog, edges, changed)
    ]
    destruction = [
        *(finding for source, text in plans for finding in analyze_plan(text, source)),
        *_migration_findings(repo, head, [path for path, _ in changes]),
    ]
    safeguards = safeguard_changes(changed)
    reached = _reached(catalog, changed, dependents)

    note = git.read_notes(repo, NOTES_REF, [head]).get(head, "")
    approvals: list[Approval] = decode_note(note, head)
    pull_request = pull_request_context(os.environ)  # in GitHub Actions: the PR's reviews too
    if pull_request is not None:
        approvals += fetch_reviews(pull_request)
    identities: dict[Identity, int] = {c.author.identity: 1 for c in commits}
    identities.update({a.approver: 0 for a in approvals if a.approver not in identities})
    people = merge_people(identities, mailmap=mailmap_of(repo), roster=roster(config))
    authors = {people.of(c.author.identity).id for c in commits}
    entries = {p.id: p for p in config.person}
    signing = signing_setup(repo)
    verdicts = judge(
        approvals,
        head,
        authors,
        people,
        entries,
        lambda a: verify(signed_payload(a), a.signature or "", a.approver.email, signing),
    )

    facts = ChangeFacts(
        change={
            "ai_assisted": provenance.ai_assisted,
            "tools": list(provenance.tools),
            "destructive": any(d.severity == "destructive" for d in destruction),
            "destructive_infrastructure": any(
                d.severity == "destructive" and d.kind == "infrastructure" for d in destruction
            ),
            "destructive_migration": any(
                d.severity == "destructive" and d.kind == "database" for d in destruction
            ),
            "safeguards": bool(safeguards),
            "files": len(changed),
        },
        author=_author_facts(commits, people, entries),
        reached=reached,
    )
    controls = required_controls(load_rules(config.policy), facts, verdicts, entries)
    decision, reasons = decide(controls)
    score, parts = blast_score(
        [(r.component.name, r.component.tier, r.direct) for r in reached],
        [(d.severity, d.reason) for d in destruction],
        [(s.path, s.guards) for s in safeguards],
    )
    data = render.report(
        base=base,
        head=head,
        fork=fork,
        decision=decision,
        reasons=reasons,
        provenance=provenance,
        reached=reached,
        destruction=destruction,
        safeguards=safeguards,
        score=score,
        score_parts=parts,
        controls=controls,
        verdicts=verdicts,
        files=changed,
    )
    if args.summary is not None:
        _append_summary(args.summary, render.markdown(data))
    render.emit(data, args.format)
    return 0 if decision == "pass" else 1


def _append_summary(path: Path, markdown: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(markdown)
    except OSError as exc:
        raise HandrailError(f"{path}: cannot write the summary: {exc.strerror}") from exc
