"""`handrail config`: validate handrail.toml and show the components and people it yields."""

from __future__ import annotations

import argparse
from typing import Any

import msgspec

from handrail import git
from handrail.catalog import build_catalog
from handrail.commands.common import open_repo
from handrail.config import CONFIG_FILE, load_config
from handrail.render import json as json_out
from handrail.render.text import console, table

NAME = "config"
SUMMARY = "Validate handrail.toml; list components (with their source) and people."
EXAMPLES = """\
examples:
  handrail config                  exit 0 when valid, 2 with the field at fault when not
  handrail config --format json

Components come from handrail.toml, then Backstage catalog-info.yaml files (names not
already declared), and from CODEOWNERS directory rules when neither declares any.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options beyond --repo and --format


def run(args: argparse.Namespace) -> int:
    repo = open_repo(args)
    config = load_config(repo)
    files = git.list_files(repo)
    catalog = build_catalog(config, files, lambda path: git.read_file(repo, path))
    data: dict[str, Any] = {
        "config_file": CONFIG_FILE
        if CONFIG_FILE in files or git.read_file(repo, CONFIG_FILE)
        else None,
        "components": [
            {
                "name": c.name,
                "paths": list(c.paths),
                "tier": c.tier,
                "owners": list(c.owners),
                "source": c.source,
                "files": sum(1 for f in files if c.covers(f)),
            }
            for c in catalog.components
        ],
        "people": [msgspec.structs.asdict(p) for p in config.person],
        "codeowners": {"file": catalog.codeowners_file, "rules": len(catalog.codeowners_rules)},
    }
    if args.format == "json":
        json_out.emit(data)
        return 0
    out = console()
    out.print(
        f"configuration: {data['config_file'] or 'none (inferring from the repository)'};"
        f" CODEOWNERS: {catalog.codeowners_file or 'none'}"
    )
    out.print(
        table(
            "components",
            ("name", "tier", "owners", "paths", "files", "source"),
            [
                (
                    c["name"],
                    "?" if c["tier"] is None else c["tier"],
                    ", ".join(c["owners"]),
                    ", ".join(c["paths"]),
                    c["files"],
                    c["source"],
                )
                for c in data["components"]
            ],
        )
    )
    if data["people"]:
        out.print(
            table(
                "people",
                ("id", "seniority", "status", "e-mails"),
                [
                    (p["id"], p["seniority"], p["status"], ", ".join(p["emails"]))
                    for p in data["people"]
                ],
            )
        )
    return 0
