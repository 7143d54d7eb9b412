"""SQL clients' command lines: which SQL they would send, to which database.

SQL comes from the client's own options (`psql -c`, `mysql -e`, `sqlite3 DB "SQL"`…), the files
they read (`-f FILE`, `< FILE`), heredocs and here-strings, and literal `echo`/`printf`/`cat`
upstream in a pipeline. The target (database name, host, SQLite file) decides the environment:
a dev/test database or an SQLite file that does not exist yet is throwaway.
"""

from __future__ import annotations

from typing import NamedTuple

from handrail.guard.context import (
    Environment,
    Setting,
    classify,
    parse_options,
    resolve_path,
)
from handrail.guard.model import GuardContext, Invocation, Verdict
from handrail.guard.rules.sql_verdicts import judge_statements

RULES = {"database.unreadable-input": "SQL or scripts that cannot be read before they run"}


class SqlRequest:
    """What a client invocation would send to which database."""

    def __init__(self, client: str, dialect: str | None, meta: str | None = None) -> None:
        self.client = client
        self.dialect = dialect
        # The prefix of the client's own (non-SQL) commands: "." (sqlite3), "\\" (psql).
        self.meta = meta
        self.sql: list[tuple[str, str]] = []  # (text, where it comes from)
        self.opaque: str | None = None  # input that cannot be read statically, and why
        self.targets: list[Setting | None] = []
        self.throwaway: Setting | None = None  # why the database is disposable, when it is


class _Client(NamedTuple):
    """How one SQL client's command line names its SQL and its database."""

    dialect: str | None
    valued: tuple[str, ...]  # every option that takes a value
    sql: tuple[str, ...]  # options whose value is SQL
    files: tuple[str, ...]  # options naming a file of SQL
    database: tuple[str, ...]
    host: tuple[str, ...]
    meta: str | None = None
    clusters: bool = False  # `-tAc SQL`
    attached_password: bool = False  # `-pSECRET`: a password, never a cluster of flags
    positional_database: bool = False
    env_database: str | None = None
    env_host: str | None = None
    subcommand: str | None = None  # `clickhouse client`, `cockroach sql`


# fmt: off
_PSQL = _Client(
    "postgres",
    ("c", "command", "f", "file", "d", "dbname", "h", "host", "p", "port", "U", "username",
     "v", "set", "variable", "o", "output", "L", "log-file", "P", "pset", "F", "R", "T"),
    ("c", "command"), ("f", "file"), ("d", "dbname"), ("h", "host"), meta="\\", clusters=True,
    positional_database=True, env_database="PGDATABASE", env_host="PGHOST",
)
_MYSQL = _Client(
    "mysql",
    ("e", "execute", "D", "database", "h", "host", "u", "user", "P", "port", "S", "socket"),
    ("e", "execute"), (), ("D", "database"), ("h", "host"), clusters=True,
    attached_password=True, positional_database=True,
)
_CLICKHOUSE = _Client(
    "clickhouse",
    ("q", "query", "d", "database", "h", "host", "u", "user", "password", "port",
     "queries-file", "format", "f"),
    ("q", "query"), ("queries-file",), ("d", "database"), ("h", "host"),
)
# Not only PostgreSQL's dialect: `SHOW DATABASES` and friends parse as MySQL's.
_COCKROACH = _Client(
    None, ("e", "execute", "d", "database", "url", "host", "f", "file", "user"),
    ("e", "execute"), ("f", "file"), ("d", "database"), ("url", "host"), subcommand="sql",
)
_SQLCMD = _Client(
    "tsql", ("Q", "q", "d", "S", "U", "P", "i", "o", "v", "h", "s", "W"),
    ("Q", "q"), ("i",), ("d",), ("S",),
)
# fmt: on
_CLIENTS = {
    "psql": _PSQL,
    "mysql": _MYSQL,
    "mariadb": _MYSQL,
    "clickhouse-client": _CLICKHOUSE,
    "clickhouse": _CLICKHOUSE._replace(subcommand="client"),
    "cockroach": _COCKROACH,
    "sqlcmd": _SQLCMD,
}
SQLITE_CLIENTS = frozenset({"sqlite3", "sqlite", "duckdb"})
PROGRAMS = frozenset(_CLIENTS) | SQLITE_CLIENTS


def judge_client(invocation: Invocation, context: GuardContext) -> Verdict | None:
    """The verdict on what an SQL client invocation would run (None: not one, or no SQL)."""
    request = _request(invocation, context)
    if request is None:
        return None
    environment = classify(request.targets, context)
    if environment.kind == "unknown" and request.throwaway is not None:
        environment = Environment("safe", request.throwaway)
    unresolved = {invocation.argv[index] for index in invocation.unresolved}
    if request.opaque is None and any(text in unresolved for text, _ in request.sql):
        request.opaque = "its SQL is built at run time (a variable or command substitution)"
    if request.opaque is not None:
        return Verdict(
            "ask",
            "database.unreadable-input",
            f"`{invocation.source}` runs SQL Handrail cannot read: {request.opaque}.",
        )
    if not request.sql:
        return None
    return judge_statements(request.sql, request.dialect, environment, request.client)


def _request(invocation: Invocation, context: GuardContext) -> SqlRequest | None:
    program, args = invocation.program, invocation.args
    if program in SQLITE_CLIENTS:
        return _sqlite(invocation, context)
    client = _CLIENTS.get(program)
    if client is None:
        return None
    if client.subcommand is not None:
        if args[:1] != (client.subcommand,):
            return None
        program, args = f"{program} {client.subcommand}", args[1:]
    if client.attached_password:
        args = without_password(args)
    options = parse_options(args, client.valued, clusters=client.clusters)
    request = SqlRequest(program, client.dialect, client.meta)
    for text in options.all_values(*client.sql):
        add_text(request, context, text, f"{program} -{client.sql[0]}")
    for path in options.all_values(*client.files):
        if path == "-":
            _read_stdin(request, context, invocation)
        else:
            request.sql.append(_file_sql(context, path, request))
    database = options.value(*client.database)
    if database is None and client.positional_database:
        database = next(iter(options.positionals), None)
    env = context.env
    request.targets += connection(database, "database", env.get(client.env_database or ""))
    request.targets += connection(
        options.value(*client.host), "host", env.get(client.env_host or "")
    )
    if not options.has(*client.sql, *client.files):
        _read_stdin(request, context, invocation)
    return request


def without_password(args: tuple[str, ...]) -> tuple[str, ...]:
    """MySQL's `-pSECRET` carries an attached password: never a cluster of flags."""
    return tuple(arg for arg in args if not (arg.startswith("-p") and arg != "-p"))


def _sqlite(invocation: Invocation, context: GuardContext) -> SqlRequest:
    valued = ("cmd", "init", "separator", "newline", "nullvalue", "vfs", "maxsize", "c", "s")
    options = parse_options(invocation.args, valued)
    program = invocation.program
    request = SqlRequest(program, "duckdb" if program == "duckdb" else "sqlite", ".")
    positionals = list(options.positionals)
    database = positionals.pop(0) if positionals else None
    for text in options.all_values("cmd", "c", "s") + positionals:
        add_text(request, context, text, f"{program} argument")
    for path in options.all_values("init"):
        request.sql.append(_file_sql(context, path, request))
    if not positionals and not options.has("c", "s"):
        _read_stdin(request, context, invocation)
    if database is None or database == ":memory:":
        request.throwaway = Setting("SQLite database", ":memory:", "no file given")
    elif not resolve_path(context, database).exists():
        request.throwaway = Setting("SQLite database", database, "a file that does not exist yet")
        request.targets.append(Setting("SQLite database", database, "the command line"))
    else:
        path = str(resolve_path(context, database))
        request.targets.append(Setting("SQLite database", path, "the command line"))
    return request


# Client meta-commands (not SQL): the ones that read a file of SQL, and the ones that run a shell.
_META = {
    ".": ((".read",), (".shell", ".system")),  # sqlite3, duckdb
    "\\": (("\\i", "\\ir", "\\include", "\\include_relative"), ("\\!",)),  # psql
}


def add_text(request: SqlRequest, context: GuardContext, text: str, source: str) -> None:
    """SQL mixed with the client's meta-commands: files they include are read, shells ask."""
    if request.meta is None:
        request.sql.append((text, source))
        return
    reads, shells = _META[request.meta]
    sql_lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith(request.meta):
            sql_lines.append(line)
            continue
        command, _, argument = stripped.partition(" ")
        if command in shells or command.startswith("\\!"):
            request.opaque = f"`{stripped}` runs a shell command"
        elif command in reads:
            request.sql.append(_file_sql(context, argument.strip().strip("'\""), request))
    request.sql.append(("\n".join(sql_lines), source))


def connection(value: str | None, what: str, default: str | None) -> list[Setting | None]:
    """The database or host named on the command line (or by PG* variables); URLs split."""
    if not value:
        return [Setting(what, default, "the environment")] if default else []
    if "://" in value:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        found: list[Setting | None] = [Setting("host", parts.hostname or "", "the connection URL")]
        if database := parts.path.strip("/"):
            found.append(Setting("database", database, "the connection URL"))
        return found
    if "=" in value:  # a libpq keyword string: "host=db dbname=app"
        return [Setting(what, value, "the connection string")]
    return [Setting(what, value, "the command line")]


def _file_sql(context: GuardContext, path: str, request: SqlRequest) -> tuple[str, str]:
    try:
        return resolve_path(context, path).read_text(encoding="utf-8", errors="replace"), path
    except OSError:
        request.opaque = f"the file {path} cannot be read here"
        return "", path


def _read_stdin(request: SqlRequest, context: GuardContext, invocation: Invocation) -> None:
    """SQL fed on stdin: a heredoc, `< FILE`, or a literal echo/printf/cat upstream."""
    text, source = stdin_text(invocation, context)
    if text is None:
        if source is not None:
            request.opaque = source
        return
    add_text(request, context, text, source or "stdin")


_STREAMS = frozenset({"gunzip", "zcat", "pg_dump", "mysqldump", "curl", "wget", "ssh"})


def stdin_text(invocation: Invocation, context: GuardContext) -> tuple[str | None, str | None]:
    """(text, where it comes from); (None, why) when stdin is fed but unreadable; (None, None)."""
    from handrail.guard.unwrap import static_output

    if invocation.stdin_text is not None:
        return invocation.stdin_text, "the heredoc"
    for operator, target in invocation.redirects:
        if operator == "<":
            try:
                return resolve_path(context, target).read_text(errors="replace"), target
            except OSError:
                return None, f"the file {target} cannot be read here"
    if not invocation.upstream:
        return None, None
    feeder = invocation.upstream[-1]
    if feeder.unresolved:
        return None, f"its input comes from `{feeder.source}`, built at run time"
    printed = static_output(feeder)
    if printed is not None:
        return printed, feeder.program
    if feeder.program == "cat" and feeder.args:
        texts = []
        for path in feeder.args:
            try:
                texts.append(resolve_path(context, path).read_text(errors="replace"))
            except OSError:
                return None, f"the file {path} cannot be read here"
        return "\n".join(texts), " ".join(feeder.args)
    if feeder.program in _STREAMS:
        return None, f"its input comes from `{feeder.source}`"
    return None, None
