"""`handrail knowledge`: who still knows the code, truck factors, what leaving people orphan."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handrail import git
from handrail.catalog import build_catalog
from handrail.commands.common import add_rev_argument, mailmap_of, mine, open_repo, roster
from handrail.config import Config, load_config
from handrail.errors import HandrailError
from handrail.globs import compile_globs
from handrail.history import History
from handrail.knowledge import handover
from handrail.knowledge.authorship import Change, authorship
from handrail.knowledge.classify import SOURCE, Verdict, classify_tree
from handrail.knowledge.hotspots import Complexity, ComplexityCache, activity, score
from handrail.knowledge.loss import departures
from handrail.knowledge.report import KnowledgeInputs, build_report
from handrail.model import Identity
from handrail.people import People, merge_people
from handrail.policy.approvals import is_bot
from handrail.render import json as json_out
from handrail.render.text import console, table

NAME = "knowledge"
SUMMARY = "Truck factors, orphaned code and hand-over lists from degree of authorship."
FORMATS = ("text", "json", "markdown")
EXAMPLES = """\
examples:
  handrail knowledge
  handrail knowledge --rev v2.0 --format json | jq .truck_factor
  handrail knowledge --departed alice bob@example.com      # what if they left?
  handrail knowledge --handover alice --output HANDOVER-alice.md
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_rev_argument(parser)
    parser.add_argument(
        "--departed",
        nargs="+",
        default=[],
        metavar="ID",
        help="people (roster id or e-mail) to treat as gone: a what-if",
    )
    parser.add_argument(
        "--inactive-months",
        type=int,
        default=None,
        metavar="N",
        help="infer as departed whoever has not committed for N months (default: 12,"
        " [knowledge] inactive_months; 0 turns inference off)",
    )
    parser.add_argument(
        "--handover", metavar="ID", help="write a hand-over document (Markdown) for this person"
    )
    parser.add_argument("--output", type=Path, help="where --handover writes (default: stdout)")


def _people(repo: git.RepoInfo, history: History, config: Config) -> People:
    counts = {identity: n for identity, n, *_ in history.by_author()}
    return merge_people(counts, mailmap=mailmap_of(repo) if counts else None, roster=roster(config))


def _bot_check(config: Config) -> Callable[[Identity], bool]:
    listed = {b.strip().casefold() for b in config.knowledge.bots}

    def bot(identity: Identity) -> bool:
        return (
            is_bot(identity)
            or identity.email.casefold() in listed
            or identity.name.casefold() in listed
        )

    return bot


def _resolve(wanted: list[str], people: People, flag: str) -> list[str]:
    """Person ids for ids or e-mails given on the command line."""
    by_key: dict[str, str] = {}
    for person in people.persons:
        by_key[person.id.casefold()] = person.id
        for identity in person.identities:
            by_key.setdefault(identity.email.casefold(), person.id)
    found = []
    for key in wanted:
        person = by_key.get(key.strip().casefold())
        if person is None:
            raise HandrailError(f"{flag} {key}: no such person id or e-mail in history or roster")
        found.append(person)
    return found


def _write(path: Path, text: str) -> None:
    """Atomically: a reader never sees half a document."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".handover.")
    except OSError as exc:
        raise HandrailError(f"--output {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        Path(tmp).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise HandrailError(f"--output {path}: {exc.strerror}") from exc


@dataclass
class _Analysis:
    """What the report and the hand-over both read."""

    repo: git.RepoInfo
    history: History
    blobs: dict[str, str]  # path -> blob id at the analysed revision
    verdicts: dict[str, Verdict]
    inputs: KnowledgeInputs
    people: People
    complexity: ComplexityCache

    def measure(self, paths: list[str]) -> dict[str, Complexity]:
        return self.complexity.measure({p: self.blobs[p] for p in paths})


def run(args: argparse.Namespace) -> int:
    repo = open_repo(args)
    config = load_config(repo)
    months = config.knowledge.inactive_months
    if args.inactive_months is not None:
        months = args.inactive_months
    if months < 0:
        raise HandrailError(f"--inactive-months {months}: must be 0 or more")
    history = mine(repo, args.rev, args)
    try:
        if history.head is None:
            raise HandrailError(f"{args.rev}: the repository has no commits")
        analysis = _analyse(args, config, months, repo, history)
        data = {
            "repository": str(repo.work_tree or repo.git_dir),
            "rev": args.rev,
            "head": history.head,
            "partial": history.partial,
            **build_report(analysis.inputs, analysis.measure),
            "alias_merges": _alias_merges(analysis),
            "method": "degree of authorship (Avelino et al., ICPC 2016); greedy truck factor",
        }
        if args.handover:
            (person,) = _resolve([args.handover], analysis.people, "--handover")
            data["handover"] = _handover(person, analysis)
    finally:
        history.close()
    return _render(args, data)


def _changes(history: History, people: People, bot: Callable[[Identity], bool]) -> list[Change]:
    """Every non-merge file change, by person; bots' changes are dropped."""
    # Who is behind each identity is decided once per identity rather than per row.
    person_of: dict[Identity, str | None] = {}
    changes = []
    for cid, ident, when, path, old, status, lines in history.file_changes():
        if ident not in person_of:
            person_of[ident] = None if bot(ident) else people.of(ident).id
        person = person_of[ident]
        if person is not None:
            changes.append(Change(cid, person, when, path, old, status, lines))
    return changes


def _analyse(
    args: argparse.Namespace, config: Config, months: int, repo: git.RepoInfo, history: History
) -> _Analysis:
    head = history.head or ""
    people = _people(repo, history, config)
    changes = _changes(history, people, _bot_check(config))
    blobs = git.list_blobs(repo, head)
    verdicts = classify_tree(repo, blobs)
    files = _source_files(verdicts, config)
    owned = authorship(files, changes)
    last: dict[str, int] = {}
    for change in changes:
        last[change.person] = max(last.get(change.person, 0), change.time)
    now = _latest_activity(history)
    gone = departures(
        roster=[p.id for p in config.person if p.status == "departed"],
        given=_resolve(args.departed, people, "--departed"),
        last_commit=last,
        authors={a for fa in owned.values() for a in fa.authors},
        now=now,
        months=months,
    )
    catalog = build_catalog(config, list(verdicts), lambda p: git.read_blob(repo, head, p))
    inputs = KnowledgeInputs(
        files=files,
        authorship=owned,
        names={p.id: p.name for p in people.persons},
        components=catalog.components,
        departures=gone,
        now=now,
        recent_days=config.knowledge.churn_days,
    )
    return _Analysis(repo, history, dict(blobs), verdicts, inputs, people, ComplexityCache(repo))


def _alias_merges(analysis: _Analysis) -> list[dict[str, str]]:
    """The merges behind the people who author something: the ones that move the numbers."""
    authors = {a for fa in analysis.inputs.authorship.values() for a in fa.authors}
    people = analysis.people
    return [
        {
            "first": str(link.first),
            "second": str(link.second),
            "rule": link.rule,
            "detail": link.detail,
        }
        for link in people.links
        if people.of(link.first).id in authors
    ]


def _latest_activity(history: History) -> int:
    """The newest author date in the history: "recent" and "inactive" count back from it,
    so an analysis as of an old revision judges people as of then."""
    ends = history.first_and_last()
    return ends[1].author.time if ends else 0


def _source_files(verdicts: dict[str, Verdict], config: Config) -> list[str]:
    excluded = compile_globs(config.knowledge.exclude) if config.knowledge.exclude else None
    return sorted(
        p
        for p, v in verdicts.items()
        if v.kind == SOURCE and not (excluded and excluded.match_file(p))
    )


def _handover(person: str, analysis: _Analysis) -> dict[str, Any]:
    inputs, owned = analysis.inputs, analysis.inputs.authorship
    mine_ = [p for p, fa in owned.items() if person in fa.authors]
    acts = {p: activity(owned[p].changes, inputs.now, inputs.recent_days) for p in mine_}
    busiest = sorted(mine_, key=lambda p: (-acts[p].changes, p))[: handover.FILES_SHOWN]
    sizes = analysis.measure(busiest)
    scores = {p: score(acts[p], size) for p, size in sizes.items()}
    items = handover.handover_items(person, owned, inputs.components, scores)
    notes = []
    for commit_id, touched in handover.key_commit_ids(person, items, owned):
        commit = analysis.history.commit_by_id(commit_id)
        day = commit.author.when.date().isoformat()
        notes.append(handover.CommitNote(commit.sha, day, commit.subject, touched))
    docs = {
        analysis.blobs[p]: p
        for p, v in analysis.verdicts.items()
        if v.kind in ("documentation", "prose")
    }
    texts = {
        docs[blob]: raw.decode("utf-8", "replace")
        for blob, raw in git.read_blobs(analysis.repo, docs)
    }
    markdown = handover.render_markdown(
        person,
        inputs.names.get(person, person),
        items,
        notes,
        handover.co_changes(items, owned),
        handover.related_docs(items, sorted(texts), texts.__getitem__),
        datetime.now(UTC),
    )
    return {
        "id": person,
        "files": [
            {"path": i.path, "role": i.role, "doa": round(i.doa, 3), "tier": i.tier} for i in items
        ],
        "markdown": markdown,
    }


def _render(args: argparse.Namespace, data: dict[str, Any]) -> int:
    doc = data.get("handover", {}).get("markdown")
    if doc is not None and args.output:
        _write(args.output, doc)
    if args.format == "json":
        json_out.emit(data)
        return 0
    if doc is not None and not args.output:
        print(doc, end="")
        return 0
    _render_text(data)
    return 0


def _render_text(data: dict[str, Any]) -> None:
    out = console()
    files = data["files"]
    out.print(
        f"[bold]Truck factor {data['truck_factor']}[/] at {data['rev']} ({data['head'][:12]}):"
        f" {files['with_history']} source files, {files['with_author']} with an author"
    )
    out.print(
        table(
            "who the truck factor is made of",
            ("person", "files authored", "share"),
            [(a["name"], a["files"], f"{a['share']:.0%}") for a in data["truck_factor_authors"]],
        )
    )
    scopes = data["components"] or data["directories"]
    label = "components" if data["components"] else "top-level directories"
    rows = [
        (
            s["name"],
            "-" if s.get("tier") is None else s["tier"],
            s["files"],
            s["truck_factor"],
            ", ".join(a["name"] for a in s["authors"][:3]),
            s.get("remaining_truck_factor", ""),
        )
        for s in scopes
    ]
    out.print(
        table(label, ("name", "tier", "files", "TF", "key people", "TF after departures"), rows)
    )
    loss = data["knowledge_loss"]
    if loss["departed"]:
        who = ", ".join(f"{d['name']} ({d['source']})" for d in loss["departed"][:8])
        more = ", ..." if len(loss["departed"]) > 8 else ""
        out.print(
            f"\n[bold]Knowledge loss[/]: {len(loss['departed'])} departed ({who}{more});"
            " truck factor left"
            f" {loss['remaining_truck_factor']}; {loss['orphaned_file_count']} files orphaned"
            f" ({loss['orphaned_share']:.0%})"
        )
        if loss["orphaned_components"]:
            out.print(f"orphaned components: {', '.join(loss['orphaned_components'])}")
        out.print(
            table(
                "riskiest orphaned files",
                ("file", "tier", "changes", "complexity", "score"),
                [
                    (
                        f["path"],
                        "-" if f["tier"] is None else f["tier"],
                        f["changes"],
                        f["complexity"] or "-",
                        f"{f['hotspot_score']:.0f}",
                    )
                    for f in loss["orphaned_files"][:10]
                ],
            )
        )
    out.print(
        table(
            "hotspots (changes x complexity)",
            ("file", "changes", "recent churn", "complexity", "authors", "orphaned"),
            [
                (
                    f["path"],
                    f["changes"],
                    f["recent_churn"],
                    f["complexity"],
                    ", ".join(a["name"] for a in f["authors"][:2]),
                    "yes" if f["orphaned"] else "",
                )
                for f in data["hotspots"][:10]
            ],
        )
    )
