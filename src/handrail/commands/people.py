"""`handrail people`: who is who, which identities were merged into one person, and why."""

from __future__ import annotations

import argparse
from typing import Any

from handrail.commands.common import add_rev_argument, history_facts
from handrail.people import RULES
from handrail.render import json as json_out
from handrail.render.text import console, table

NAME = "people"
SUMMARY = "List people after alias merging, with every merge and the rule behind it."
EXAMPLES = """\
examples:
  handrail people
  handrail people --merges-only
  handrail people --format json | jq '.merges[] | select(.rule == "same-name")'

Merging order: .mailmap, then [[person]] e-mails in handrail.toml, then same e-mail,
GitHub noreply address of one account, same full name (two words or more).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_rev_argument(parser)
    parser.add_argument(
        "--merges-only", action="store_true", help="show only people with more than one identity"
    )


def run(args: argparse.Namespace) -> int:
    facts = history_facts(args)
    commits = {identity: stats.commits for identity, stats in facts.by_identity.items()}
    persons = [
        {
            "id": person.id,
            "name": person.name,
            "email": person.email,
            "commits": sum(commits.get(i, 0) for i in person.identities),
            "identities": [
                {"name": i.name, "email": i.email, "commits": commits.get(i, 0)}
                for i in person.identities
            ],
        }
        for person in facts.people.persons
        if not args.merges_only or len(person.identities) > 1
    ]
    persons.sort(key=lambda p: (-p["commits"], p["id"]))
    merges = [
        {
            "first": str(link.first),
            "second": str(link.second),
            "rule": link.rule,
            "detail": link.detail,
        }
        for link in facts.people.links
    ]
    data: dict[str, Any] = {"people": persons, "merges": merges, "rules": RULES}
    if args.format == "json":
        json_out.emit(data)
        return 0
    out = console()
    out.print(f"{len(persons)} people, {len(merges)} alias merges")
    rows = [
        (p["id"], p["commits"], "\n".join(f"{i['name']} <{i['email']}>" for i in p["identities"]))
        for p in persons
    ]
    out.print(table(None, ("person", "commits", "identities"), rows))
    if merges:
        out.print(
            table(
                "merges",
                ("identity", "merged with", "rule", "why"),
                [(m["second"], m["first"], m["rule"], m["detail"]) for m in merges],
            )
        )
    return 0
