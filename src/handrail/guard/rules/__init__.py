"""The rule families: one module per tool family, all speaking one small protocol.

Each module has:

* `FAMILY: str` — its name, the prefix of its rule ids;
* `judge(invocation, context) -> Verdict | None` — the strictest thing it has to say about one
  unwrapped program invocation, or None;
* optionally `RULES: dict[str, str]` — its rule ids and what each catches, so `[guard]`
  overrides in handrail.toml can be checked for typos.

The hook starts a process per tool call, so a family is imported only when a program it judges
runs: `PROGRAMS` names the programs of the families that judge only some; the others see every
invocation. A family whose `judge` starts looking at a new program must be listed for it here
(tests/test_guard_engine.py checks this on the corpus: routed and unrouted verdicts agree).
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

from handrail.guard.model import SEVERITY, Verdict

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import ModuleType

FAMILIES = (
    "filesystem",
    "git",
    "secrets",
    "bypass",
    "terraform",
    "kubernetes",
    "cloud",
    "database",
)
# The programs each family's `judge` looks at, for the families that do not judge every program
# (filesystem, secrets and bypass read any program's redirects, paths and environment).
# fmt: off
PROGRAMS: dict[str, frozenset[str]] = {
    "git": frozenset({"git"}),
    "terraform": frozenset({"terraform", "tofu", "terragrunt", "pulumi"}),
    "kubernetes": frozenset({"kubectl", "oc", "kubecolor", "helm"}),
    "cloud": frozenset({"aws", "gcloud", "gsutil", "bq", "az"}),
    "database": frozenset({
        # SQL clients and database shells
        "psql", "mysql", "mariadb", "clickhouse-client", "clickhouse", "cockroach", "sqlcmd",
        "sqlite3", "sqlite", "duckdb", "redis-cli", "valkey-cli", "mongo", "mongosh",
        # tools that drop databases or their volumes
        "dropdb", "pg_dropcluster", "dropuser", "mysqladmin", "pg_restore", "docker",
        "docker-compose", "podman",
        # framework tasks, and the launchers they are run through (`bundle exec rails db:drop`)
        "rails", "rake", "manage.py", "django-admin", "prisma", "bundle", "npx", "pnpm", "yarn",
        "bunx", "python", "python3",
    }),
}
# fmt: on


def load(name: str) -> ModuleType:
    return importlib.import_module(f"handrail.guard.rules.{name}")


@cache
def families_for(program: str) -> tuple[str, ...]:
    """The families that judge `program`, in `FAMILIES` order (which decides among equals)."""
    key = "manage.py" if program.endswith("manage.py") else program  # ./manage.py, bin/manage.py
    return tuple(name for name in FAMILIES if name not in PROGRAMS or key in PROGRAMS[name])


def strictest(verdicts: Iterable[Verdict | None]) -> Verdict | None:
    """The most severe verdict; the first one among equals (the order rules are written in)."""
    best: Verdict | None = None
    for verdict in verdicts:
        if verdict is not None and (
            best is None or SEVERITY[verdict.decision] > SEVERITY[best.decision]
        ):
            best = verdict
    return best
