"""Tools that destroy databases by their own name, not by SQL: dropdb, pg_dropcluster,
mysqladmin drop, pg_restore --clean, Docker volume deletes, and framework tasks (rails db:drop,
manage.py flush, prisma migrate reset), weighed by the environment they target.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from handrail.guard.context import (
    Environment,
    Setting,
    classify,
    judged,
    parse_options,
)
from handrail.guard.model import Decision, GuardContext, Invocation, Verdict
from handrail.guard.rules.sql_clients import connection, without_password


class _Drop(NamedTuple):
    """A tool whose name says what it destroys: its base decision, effect and operand kind."""

    base: Decision
    effect: str
    operand: str


_DROP_TOOLS = {
    "dropdb": _Drop("deny", "deletes the database and all its data", "database"),
    "pg_dropcluster": _Drop("deny", "deletes the PostgreSQL cluster and all its data", "cluster"),
    "dropuser": _Drop("ask", "deletes the database role", "role"),
}
# Framework tasks that drop or empty the application's database: (tool, task) → (base, effect).
_FRAMEWORK_TASKS: dict[tuple[str, str], tuple[Decision, str]] = {
    **{
        (tool, task): ("deny", effect)
        for tool in ("rails", "rake")
        for task, effect in (
            ("db:drop", "drops the application's database"),
            ("db:reset", "drops the database and recreates it from the schema"),
            ("db:purge", "empties the database"),
            ("db:schema:load", "recreates every table from the schema, dropping their rows"),
            ("db:migrate:reset", "drops the database and runs every migration again"),
            ("db:truncate_all", "truncates every table"),
            ("db:seed:replant", "truncates every table, then seeds it"),
        )
    },
    ("manage.py", "flush"): ("deny", "deletes every row of every table"),
    ("manage.py", "reset_db"): ("deny", "drops and recreates the database"),
    ("prisma", "migrate reset"): ("ask", "drops the database and reapplies every migration"),
    ("prisma", "db push --force-reset"): ("ask", "drops the database, then pushes the schema"),
}
RULES = {
    **{f"database.{tool}": tool for tool in _DROP_TOOLS},
    "database.mysqladmin-drop": "mysqladmin drop",
    "database.mysqladmin-shutdown": "mysqladmin shutdown",
    "database.pg-restore-clean": "pg_restore --clean",
    "database.docker-volumes": "docker volume rm/prune, system prune --volumes, compose down -v",
    **{
        f"database.framework-{task.split()[0].replace(':', '-')}": f"{tool} {task}"
        for tool, task in _FRAMEWORK_TASKS
    },
}
# The frameworks' own local environments (Rails, Django, Node), where resets are routine.
_LOCAL_ENVIRONMENTS = frozenset(("development", "test"))
_LAUNCHERS = frozenset(("bundle", "npx", "pnpm", "yarn", "bunx", "python", "python3"))


def _floor(base: Decision) -> Decision:
    """A safe environment lowers a deny to ask, never to allow."""
    return "ask" if base == "deny" else "allow"


def _drop_tool(invocation: Invocation, context: GuardContext) -> Verdict | None:
    tool = _DROP_TOOLS[invocation.program]
    options = parse_options(
        invocation.args, ("h", "host", "p", "port", "U", "username", "maintenance-db")
    )
    if options.has("help", "version", "V"):
        return None
    environment = classify(
        [Setting(tool.operand, name, "the command line") for name in options.positionals]
        + connection(options.value("h", "host"), "host", None),
        context,
    )
    what = f"`{invocation.source}` {tool.effect}"
    return judged(f"database.{invocation.program}", tool.base, environment, what, _floor(tool.base))


def _mysqladmin(invocation: Invocation, context: GuardContext) -> Verdict | None:
    options = parse_options(
        without_password(invocation.args),
        ("h", "host", "u", "user", "P", "port", "S", "socket"),
        clusters=True,
    )
    commands = [word.lower() for word in options.positionals]
    environment = classify(
        connection(options.value("h", "host"), "host", None)
        + [Setting("database", name, "the command line") for name in commands[1:]],
        context,
    )
    if commands[:1] == ["drop"]:
        what = f"`{invocation.source}` deletes the database and all its data"
        return judged("database.mysqladmin-drop", "deny", environment, what, "ask")
    if commands[:1] == ["shutdown"]:
        what = f"`{invocation.source}` stops the server"
        return judged("database.mysqladmin-shutdown", "ask", environment, what)
    return None


def _pg_restore(invocation: Invocation, context: GuardContext) -> Verdict | None:
    options = parse_options(
        invocation.args, ("d", "dbname", "h", "host", "f", "file", "U"), clusters=True
    )
    if not options.has("c", "clean") or options.has("f", "file", "l", "list"):
        return None
    environment = classify(connection(options.value("d", "dbname"), "database", None), context)
    what = f"`{invocation.source}` drops every object it restores before recreating it"
    return judged("database.pg-restore-clean", "ask", environment, what)


def framework_task(invocation: Invocation, context: GuardContext) -> Verdict | None:
    argv = list(invocation.argv)
    while argv and argv[0] in _LAUNCHERS and len(argv) > 1:  # bundle exec rails, npx prisma
        argv = argv[2:] if argv[1] in ("exec", "dlx", "run") else argv[1:]
    if not argv or {"--help", "-h", "help"} & set(argv):
        return None
    tool = "manage.py" if argv[0].endswith("manage.py") or argv[0] == "django-admin" else argv[0]
    given = [word for word in argv[1:] if "=" not in word or word.startswith("-")]
    for (name, task), (base, effect) in _FRAMEWORK_TASKS.items():
        if name == tool and all(word in given for word in task.split()):
            environment = _framework_environment(argv, context)
            rule = f"database.framework-{task.split()[0].replace(':', '-')}"
            what = f"`{invocation.source}` {effect}"
            return judged(rule, base, environment, what, _floor(base))
    return None


def _framework_environment(argv: list[str], context: GuardContext) -> Environment:
    """RAILS_ENV / RACK_ENV / NODE_ENV (variables or `VAR=value` task arguments), Django's
    --settings, and DATABASE_URL; Rails without RAILS_ENV runs in development."""
    given = dict(word.split("=", 1) for word in argv[1:] if "=" in word and word[:1] != "-")
    found: list[Setting | None] = []
    for name in ("RAILS_ENV", "RACK_ENV", "NODE_ENV"):
        value = given.get(name) or context.env.get(name)
        if value:
            found.append(Setting(name, value, "the command line" if name in given else name))
    if settings := parse_options(argv[1:], ("settings",)).value("settings"):
        found.append(Setting("Django settings", settings, "--settings flag"))
    found += connection(context.env.get("DATABASE_URL"), "database", None)
    environment = classify(found, context)
    if environment.kind != "unknown":
        return environment
    local = next((s for s in found if s and s.value in _LOCAL_ENVIRONMENTS), None)
    if local is None and argv[0] in ("rails", "rake"):
        local = Setting("RAILS_ENV", "development", "Rails's default when RAILS_ENV is unset")
    return Environment("safe", local) if local else environment


def _docker_volumes(invocation: Invocation, context: GuardContext) -> Verdict | None:
    """Volumes are where containerised databases keep their data."""
    args = [arg for arg in invocation.args if arg != "compose"]
    options = parse_options(args, ("f", "file", "p", "project-name", "filter"))
    given = list(options.positionals)
    deletes = (
        given[:2] in (["volume", "rm"], ["volume", "prune"])
        or (given[:2] == ["system", "prune"] and options.has("volumes"))
        or (given[:1] == ["down"] and options.has("v", "volumes"))
    )
    if not deletes:
        return None
    return Verdict(
        "ask",
        "database.docker-volumes",
        f"`{invocation.source}` deletes Docker volumes, where containerised databases keep"
        " their data.",
    )


TOOLS: dict[str, Callable[[Invocation, GuardContext], Verdict | None]] = {
    **dict.fromkeys(_DROP_TOOLS, _drop_tool),
    **dict.fromkeys(("docker", "docker-compose", "podman"), _docker_volumes),
    "mysqladmin": _mysqladmin,
    "pg_restore": _pg_restore,
}
