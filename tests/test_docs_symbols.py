"""The symbol index: definitions read with real parsers, never mentions; cached per blob."""

from __future__ import annotations

from collections.abc import Callable

from gitrepo import GitRepo
from handrail import git
from handrail.docs.definitions import read
from handrail.docs.resolve import Resolver
from handrail.docs.symbols import BlobSymbols, index_at


def _defined(language: str, text: str) -> set[tuple[str, str]]:
    return {(kind, name) for kind, name, *_ in read(language, text.encode()).definitions}


PYTHON = '''\
import os
import click
import typer

LIMIT = 3


class Store:
    kind = "kv"

    def __init__(self):
        self.path = os.environ["STORE_PATH"]

    async def get(self, key):
        return os.getenv("STORE_TIMEOUT", key)


@click.command("serve")
@click.option("--port", "-p")
@click.option("--debug/--no-debug", envvar="STORE_DEBUG")
def serve(port, debug):
    """Mentions --ghost-flag and GHOST_VAR in a docstring: not definitions."""
    # old_function() lived here once
    return "--not-a-flag"


app = typer.Typer()


@app.command()
def sync_all(dry_run: bool = False, target: str = typer.Option("prod", "--to")):
    return dry_run, target


def build_parser(argparse):
    parser = argparse.ArgumentParser(prog="store")
    parser.add_argument("--cache-dir", dest="cache_dir")
    parser.add_argument("--color", action=argparse.BooleanOptionalAction)
    sub = parser.add_subparsers()
    sub.add_parser("compact")
    option = click.Option(["--app", "-A"])
    return parser, option
'''


def test_python_definitions_flags_commands_and_environment_reads() -> None:
    found = _defined("python", PYTHON)
    assert {
        ("attribute", "LIMIT"),
        ("class", "Store"),
        ("attribute", "Store.kind"),
        ("attribute", "Store.path"),
        ("method", "Store.get"),
        ("function", "serve"),
        ("env", "STORE_PATH"),
        ("env", "STORE_TIMEOUT"),
        ("env", "STORE_DEBUG"),
        ("flag", "--port"),
        ("flag", "-p"),
        ("flag", "--debug"),
        ("flag", "--no-debug"),
        ("command", "serve"),
        ("command", "sync-all"),
        ("flag", "--dry-run"),
        ("flag", "--to"),
        ("flag", "--cache-dir"),
        ("flag", "--color"),
        ("flag", "--no-color"),
        ("command", "compact"),
        ("program", "store"),
        ("flag", "--app"),
    } <= found
    # Docstrings, comments and plain strings are mentions, not definitions.
    names = {name for _, name in found}
    assert not names & {"--ghost-flag", "GHOST_VAR", "old_function", "--not-a-flag", "--target"}


def test_a_file_that_does_not_parse_defines_nothing() -> None:
    assert _defined("python", "def broken(:\n") == set()
    assert _defined("toml", "[x\n") == set()


def test_shell_make_and_configuration_files() -> None:
    script = 'case "$1" in\n  --fast|-f) FAST=1 ;;\n  *) ;;\nesac\necho "$DEPLOY_ENV"\n'
    assert {("flag", "--fast"), ("flag", "-f"), ("env", "DEPLOY_ENV")} <= _defined("shell", script)
    makefile = ".PHONY: test lint\nbuild: deps\n\tcc -o x\nVAR := 1\n%.o: %.c\n"
    assert _defined("make", makefile) == {("make", t) for t in ("test", "lint", "build")}
    toml = '[project.scripts]\nship = "ship.cli:main"\n[tool.ship]\nretries = 3\n'
    assert {
        ("program", "ship"),
        ("config", "tool.ship.retries"),
        ("config", "project.scripts"),
    } <= _defined("toml", toml)
    assert ("config", "database.host") in _defined("yaml", "database:\n  host: x\n---\nb: 1\n")


def test_the_index_follows_re_exports_and_is_cached_per_blob(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = make_repo()
    repo.commit(
        "package",
        {
            "src/ship/__init__.py": "from .core import Client as Client\nfrom .util import *\n",
            "src/ship/core.py": "class Client:\n    def fetch(self):\n        pass\n",
            "src/ship/util.py": "def helper():\n    pass\n",
            "src/ship/empty/__init__.py": "",
        },
    )
    info = git.open_repo(repo.path)
    index = index_at(info, "HEAD", BlobSymbols(info))
    assert index.modules["ship.core"] == "src/ship/core.py"
    assert "ship" in index.packages
    resolver = Resolver(index, {})
    assert resolver.python("ship.Client.fetch").definition.name == "ship.core.Client.fetch"
    assert resolver.python("ship.helper").status == "found"
    assert resolver.python("ship.core.nothing").status == "missing"
    # Nothing written yet: the caller saves once it is done.
    cold = BlobSymbols(info)
    index_at(info, "HEAD", cold)
    cold.save()
    warm = BlobSymbols(info)
    assert all(
        warm.cached(path, blob)
        for path, blob in git.list_blobs(info, "HEAD")
        if path.endswith(".py")
    )
