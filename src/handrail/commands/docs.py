"""`handrail docs`: stale references in docs (`check`), fresh-only search (`search`), and that
search as an MCP server for agents (`mcp`)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from handrail.commands.common import open_repo
from handrail.render import json as json_out

NAME = "docs"
SUMMARY = "Find docs that name code which no longer exists or changed; serve only fresh passages."
EXAMPLES = """\
examples:
  handrail docs check                          every doc (README*, docs/, *.md, *.rst)
  handrail docs check docs/runbooks --format json
  handrail docs check --changed-since origin/main --format markdown   (a PR comment)
  handrail docs search "rotate the database password" --limit 3
  handrail docs mcp                            an MCP server (stdio) with a docs search tool

exit codes (check): 0 no stale reference, 1 stale references found, 2 usage or input error
"""
FORMATS = ("text", "json", "markdown")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from handrail.cli import _common_options  # the same --repo/--format after the subcommand

    actions = parser.add_subparsers(dest="docs_command", metavar="ACTION", required=True)
    common = [_common_options(defaults=False)]
    check = actions.add_parser(
        "check", parents=common, help="report stale references (exit 1 when there are any)"
    )
    check.add_argument("paths", nargs="*", metavar="PATH", help="docs or folders (default: all)")
    check.add_argument(
        "--changed-since",
        metavar="REV",
        help="only what the change since REV touches: docs it edits, code it renames or removes",
    )
    check.add_argument("--rev", default="HEAD", help="the revision to check (default: HEAD)")
    check.add_argument(
        "--fail-on-changed",
        action="store_true",
        help="exit 1 also when a referenced definition only changed since the doc's last edit",
    )
    search = actions.add_parser(
        "search", parents=common, help="the passages that best match a query, fresh ones only"
    )
    search.add_argument("query", nargs="+", help="what to look for")
    search.add_argument("--limit", type=int, default=5, help="how many passages (default: 5)")
    search.add_argument(
        "--include-stale",
        action="store_true",
        help="serve stale passages too, flagged with the reason",
    )
    actions.add_parser("mcp", parents=common, help="serve the search to agents over MCP (stdio)")


def run(args: argparse.Namespace) -> int:
    repo = open_repo(args)
    if args.docs_command == "mcp":
        from handrail.docs.mcp_server import serve

        serve(repo)
        return 0
    if args.docs_command == "search":
        return _search(repo, args)
    return _check(repo, args)


# -- check ------------------------------------------------------------------------------------


def _check(repo: Any, args: argparse.Namespace) -> int:
    from handrail.config import load_config
    from handrail.docs.check import check_docs

    settings = load_config(repo).docs
    report = check_docs(repo, args.paths or None, args.changed_since, settings, rev=args.rev)
    data = check_report(report)
    if args.format == "json":
        json_out.emit(data)
    elif args.format == "markdown":
        print(render_markdown(data))
    else:
        render_text(data)
    failing = {"missing", "removed", "renamed"}
    if args.fail_on_changed or settings.fail_on_changed:
        failing.add("changed")
    return 1 if any(entry["verdict"] in failing for entry in data["stale"]) else 0


def check_report(report: Any) -> dict[str, Any]:
    documents = [
        {**asdict(d), "freshness": d.score} for d in sorted(report.documents, key=lambda d: d.doc)
    ]
    return {
        "rev": report.rev,
        "stale": [asdict(s) for s in report.stale],
        "documents": documents,
        "summary": {
            "documents": len(documents),
            "stale_documents": sum(1 for d in documents if d["stale"]),
            "stale_references": len(report.stale),
        },
    }


def _location(entry: dict[str, Any]) -> str:
    return f"{entry['doc']}:{entry['line']}"


def render_text(data: dict[str, Any]) -> None:
    from rich.markup import escape

    from handrail.render.text import console

    out = console()
    colour = {"error": "red", "warning": "yellow", "info": "cyan"}
    for entry in data["stale"]:
        commit = f" ({entry['evidence_commit'][:12]})" if entry["evidence_commit"] else ""
        out.print(
            f"{escape(_location(entry))}: [{colour[entry['severity']]}]{entry['verdict']}[/]"
            f" {entry['kind']} [bold]{escape(entry['reference'])}[/]{commit}:"
            f" {escape(entry['reason'])}"
        )
    summary = data["summary"]
    if not data["stale"]:
        out.print(f"[green]{summary['documents']} docs checked: no stale references[/]")
    else:
        out.print(
            f"{summary['stale_references']} stale references in {summary['stale_documents']}"
            f" of {summary['documents']} docs"
        )


def render_markdown(data: dict[str, Any]) -> str:
    """A pull-request comment: a table of the stale references, worst first."""
    summary = data["summary"]
    if not data["stale"]:
        return f"### Docs freshness\n\nNo stale references in {summary['documents']} docs."
    lines = [
        "### Docs freshness",
        "",
        f"{summary['stale_references']} stale references in {summary['stale_documents']}"
        f" of {summary['documents']} docs.",
        "",
        "| where | reference | verdict | why |",
        "|---|---|---|---|",
    ]
    order = {"error": 0, "warning": 1, "info": 2}
    for entry in sorted(data["stale"], key=lambda e: (order[e["severity"]], e["doc"], e["line"])):
        reason = entry["reason"].replace("|", "\\|")
        reference = entry["reference"].replace("|", "\\|").replace("`", "")
        lines.append(
            f"| `{_location(entry)}` | `{reference}` ({entry['kind']}) | {entry['verdict']}"
            f" | {reason} |"
        )
    return "\n".join(lines)


# -- search -----------------------------------------------------------------------------------


def _search(repo: Any, args: argparse.Namespace) -> int:
    from handrail.docs.search import search

    query = " ".join(args.query)
    results = search(repo, query, args.limit, args.include_stale)
    data = results.as_dict(query)
    if args.format == "json":
        json_out.emit(data)
        return 0
    from rich.markup import escape

    from handrail.render.text import console

    out = console()
    for hit in data["results"]:
        first, last = hit["lines"]
        state = "[green]fresh[/]" if hit["fresh"] else "[red]stale[/]"
        out.print(
            f"[bold]{escape(hit['doc'])}:{first}-{last}[/] {escape(hit['heading'])}"
            f" ({state}, score {hit['score']})"
        )
        for stale in hit["stale_references"]:
            out.print(f"  [yellow]{stale['verdict']}[/]: {escape(stale['reason'])}")
        out.print(escape(hit["text"].strip()), "\n")
    if data["withheld"]:
        out.print(f"[dim]{data['withheld']} better-matching stale passages withheld[/]")
    if not data["results"]:
        out.print("no matching passage")
    return 0
