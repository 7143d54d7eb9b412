"""`handrail history`: what the history reachable from a revision holds."""

from __future__ import annotations

import argparse
from typing import Any

from handrail.commands.common import HistoryFacts, add_rev_argument, history_facts
from handrail.history.summary import Contributor, contributors
from handrail.model import Commit, Signature
from handrail.render import json as json_out
from handrail.render.text import console, table

NAME = "history"
SUMMARY = "Summarize the history reachable from a revision (mined incrementally, cached)."
EXAMPLES = """\
examples:
  handrail history
  handrail history --rev origin/main --top 20
  handrail history --format json | jq .commits
"""
PARTIAL_NOTE = "shallow clone: history before the clone's depth is missing (git fetch --unshallow)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_rev_argument(parser)
    parser.add_argument("--top", type=int, default=10, help="how many top contributors to list")


def _date(signature: Signature | None) -> str | None:
    return signature.when.isoformat() if signature else None


def _commit(commit: Commit | None) -> dict[str, Any] | None:
    if commit is None:
        return None
    return {
        "sha": commit.sha,
        "date": _date(commit.author),
        "author": str(commit.author.identity),
        "subject": commit.subject,
    }


def _contributor(c: Contributor) -> dict[str, Any]:
    return {
        "id": c.person_id,
        "name": c.name,
        "email": c.email,
        "commits": c.stats.commits,
        "lines_added": c.stats.added,
        "lines_deleted": c.stats.deleted,
        "first_commit": _date(c.stats.first),
        "last_commit": _date(c.stats.last),
        "identities": c.aliases,
    }


def report(facts: HistoryFacts, rev: str, top: int) -> dict[str, Any]:
    s, history = facts.summary, facts.history
    people = contributors(facts.by_identity, facts.people)
    mining = history.report
    return {
        "repository": str(history.repo.work_tree or history.repo.git_dir),
        "rev": rev,
        "head": history.head,
        "partial": history.partial,
        "partial_reason": PARTIAL_NOTE if history.partial else None,
        "commits": s.commits,
        "merges": s.merges,
        "people": len(people),
        "identities": s.identities,
        "alias_merges": len(facts.people.links),
        "files": s.files,
        "lines_added": s.lines_added,
        "lines_deleted": s.lines_deleted,
        "binary_changes": s.binary_changes,
        "renames": s.renames,
        "first_commit": _commit(s.first_commit),
        "last_commit": _commit(s.last_commit),
        "top_contributors": [_contributor(c) for c in people[:top]],
        "mining": {
            "new_commits": mining.new_commits,
            "cached_commits": mining.cached_commits,
            "seconds": round(mining.seconds, 3),
            "git_processes": mining.workers,
            "cache": str(mining.cache) if mining.cache else None,
        },
    }


def render_text(data: dict[str, Any]) -> None:
    out = console()
    out.print(
        f"[bold]{data['repository']}[/] at {data['rev']} ({(data['head'] or 'no commits')[:12]})"
    )
    if data["partial"]:
        out.print(f"[yellow]partial history:[/] {data['partial_reason']}")
    first, last = data["first_commit"], data["last_commit"]
    out.print(
        f"{data['commits']} commits ({data['merges']} merges), {data['people']} people"
        f" from {data['identities']} identities ({data['alias_merges']} alias merges:"
        f" `handrail people` shows them), {data['files']} files touched,"
        f" +{data['lines_added']} -{data['lines_deleted']} lines"
    )
    if first and last:
        out.print(f"first commit {first['date'][:10]}, last commit {last['date'][:10]}")
    rows = [
        (
            c["name"],
            c["email"],
            c["commits"],
            f"+{c['lines_added']} -{c['lines_deleted']}",
            (c["last_commit"] or "")[:10],
        )
        for c in data["top_contributors"]
    ]
    if rows:
        out.print(table("top contributors", ("name", "e-mail", "commits", "lines", "last"), rows))
    mining = data["mining"]
    out.print(
        f"[dim]read {mining['new_commits']} new commits from git, {mining['cached_commits']}"
        f" from the cache in {mining['seconds']:.2f}s[/]"
    )


def run(args: argparse.Namespace) -> int:
    data = report(history_facts(args), args.rev, max(args.top, 0))
    if args.format == "json":
        json_out.emit(data)
    else:
        render_text(data)
    return 0
