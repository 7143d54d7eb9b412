"""`handrail init`: write a commented starter handrail.toml inferred from the repository."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from handrail import git
from handrail.catalog import build_catalog
from handrail.commands.common import add_rev_argument, history_facts, open_repo
from handrail.config import CONFIG_FILE, Config, load_config
from handrail.errors import HandrailError
from handrail.history.summary import contributors
from handrail.render import json as json_out
from handrail.render.text import console

NAME = "init"
SUMMARY = "Write a commented starter handrail.toml: components, owners and people from the repo."
EXAMPLES = """\
examples:
  handrail init                 write handrail.toml (refuses to overwrite one)
  handrail init --stdout        print it instead
  handrail init --people 50 --force
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_rev_argument(parser)
    parser.add_argument(
        "--people", type=int, default=30, help="list this many most active people (default: 30)"
    )
    parser.add_argument("--stdout", action="store_true", help="print instead of writing the file")
    parser.add_argument("--force", action="store_true", help="overwrite an existing handrail.toml")


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".handrail-", suffix=".toml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    repo = open_repo(args)
    target = repo.work_tree / CONFIG_FILE if repo.work_tree else None
    if not args.stdout:
        if target is None:
            raise HandrailError(
                f"{repo.git_dir}: a bare repository has no work tree to write"
                f" {CONFIG_FILE} into; use --stdout"
            )
        if target.exists() and not args.force:
            load_config(repo)  # an invalid existing file is reported as such
            raise HandrailError(f"{target}: already exists; use --force to overwrite or --stdout")
    from handrail.starter import starter_config  # tomlkit: only `init` needs it

    # Inferred from history alone: an existing handrail.toml may be the thing being replaced.
    facts = history_facts(args, Config())
    files = git.list_files(repo)
    catalog = build_catalog(Config(), files, lambda path: git.read_file(repo, path))
    name = (repo.work_tree or repo.git_dir).name.removesuffix(".git")
    ranked = contributors(facts.by_identity, facts.people)
    text, summary = starter_config(catalog, files, name, ranked, facts.people, args.people)
    if args.stdout:
        print(text, end="")
        return 0
    assert target is not None
    _write_atomically(target, text)
    data = {"written": str(target), **summary}
    if args.format == "json":
        json_out.emit(data)
    else:
        console().print(
            f"wrote {target}: {summary['components']} components,"
            f" {summary['people']} people; now set the tiers and seniorities"
        )
    return 0
