"""Database clients: the SQL, Redis and MongoDB commands they would run, parsed and weighed.

SQL comes from the client's own options (`psql -c`, `mysql -e`, `sqlite3 DB "SQL"`…), the files
they read (`-f FILE`, `< FILE`), heredocs and here-strings, and literal `echo`/`printf`/`cat`
upstream in a pipeline. It is parsed by `handrail.blast.sql` (sqlglot, imported only when there
is SQL): DROP of tables, schemas and databases, TRUNCATE, DELETE or UPDATE of every row are
`deny` — lowered to `ask` when the target is clearly throwaway (a dev/test database name, an
SQLite file under /tmp) — other doubtful statements, and SQL that cannot be read, are `ask`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from handrail.guard.context import (
    Environment,
    Setting,
    classify,
    for_invocation,
    judged,
    parse_options,
    resolve_path,
    words,
)
from handrail.guard.model import Decision, GuardContext, Invocation, Verdict

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

FAMILY = "database"
RULES = {
    "database.sql-drop-table": "DROP TABLE",
    "database.sql-drop-schema": "DROP SCHEMA",
    "database.sql-drop-database": "DROP DATABASE",
    "database.sql-drop-column": "ALTER TABLE … DROP COLUMN",
    "database.sql-truncate": "TRUNCATE",
    "database.sql-delete-all-rows": "DELETE without a restricting WHERE",
    "database.sql-update-all-rows": "UPDATE without a restricting WHERE",
    "database.sql-replace-table": "CREATE OR REPLACE TABLE",
    "database.sql-review": "DROP VIEW/INDEX, renames and other statements to review",
    "database.sql-unparsed": "SQL that sqlglot cannot parse",
    "database.unreadable-input": "SQL or scripts that cannot be read before they run",
    "database.redis-bulk-delete": "redis-cli DEL fed by a pipeline (xargs)",
    "database.mongo-dropdatabase": "db.dropDatabase()",
    "database.mongo-drop": "db.collection.drop()",
    "database.mongo-unparsed": "a MongoDB script that cannot be parsed",
    "database.dropdb": "dropdb",
    "database.pg_dropcluster": "pg_dropcluster",
    "database.dropuser": "dropuser",
    "database.mysqladmin-drop": "mysqladmin drop",
    "database.mysqladmin-shutdown": "mysqladmin shutdown",
    "database.pg-restore-clean": "pg_restore --clean",
    "database.docker-volumes": "docker volume rm/prune, system prune --volumes, compose down -v",
    "database.framework-db-drop": "rails/rake db:drop",
    "database.framework-db-reset": "rails/rake db:reset",
    "database.framework-db-purge": "rails/rake db:purge",
    "database.framework-db-schema-load": "rails/rake db:schema:load",
    "database.framework-db-migrate-reset": "rails/rake db:migrate:reset",
    "database.framework-db-truncate_all": "rails/rake db:truncate_all",
    "database.framework-db-seed-replant": "rails/rake db:seed:replant",
    "database.framework-flush": "Django manage.py flush",
    "database.framework-reset_db": "Django manage.py reset_db",
    "database.framework-migrate": "prisma migrate reset",
    "database.framework-db": "prisma db push --force-reset",
}

_SHOWN = 3  # findings named in a reason; the rest are counted


@dataclass
class _Request:
    """What a client invocation would send to which database."""

    client: str
    dialect: str | None
    sql: list[tuple[str, str]] = field(default_factory=list)  # (text, where it comes from)
    meta: str | None = None  # the prefix of the client's own commands: "." (sqlite3), "\\" (psql)
    opaque: str | None = None  # input that cannot be read statically, and why
    targets: list[Setting | None] = field(default_factory=list)
    throwaway: Setting | None = None  # why the database is disposable, when it clearly is


def judge_sql(sql: str, context: GuardContext, dialect: str | None = None) -> Verdict | None:
    """The verdict on SQL an agent wants to run through any tool (MCP database tools too)."""
    return _judge_sql([(sql, "the SQL")], dialect, Environment("unknown"), "the SQL")


def judge(invocation: Invocation, context: GuardContext) -> Verdict | None:
    context = for_invocation(context, invocation)
    program = invocation.program
    if program == "clickhouse" and invocation.args[:1] == ("client",):
        program = "clickhouse-client"
    if program == "cockroach" and invocation.args[:1] == ("sql",):
        program = "cockroach sql"
    if program in _SQL_CLIENTS:
        return _judge_client(invocation, context, _SQL_CLIENTS[program](invocation, context))
    handler = _OTHER_TOOLS.get(program)
    if handler is not None:
        return handler(invocation, context)
    return _framework_task(invocation, context)


def _judge_client(
    invocation: Invocation, context: GuardContext, request: _Request
) -> Verdict | None:
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
    return _judge_sql(request.sql, request.dialect, environment, f"`{request.client}`")


def _judge_sql(
    sql: list[tuple[str, str]], dialect: str | None, environment: Environment, client: str
) -> Verdict | None:
    from handrail.blast.sql import UNPARSED, analyze_sql

    findings = [
        finding
        for text, source in sql
        if text.strip()
        for finding in analyze_sql(text, source, dialect)
        if not _plain_explain(finding.action, finding.target)
    ]
    if not findings:
        return None
    destructive = [finding for finding in findings if finding.severity == "destructive"]
    chosen = destructive or findings
    named = " ".join(f"{finding.reason}" for finding in chosen[:_SHOWN])
    more = f" (and {len(chosen) - _SHOWN} more)" if len(chosen) > _SHOWN else ""
    what = f"{client} would run SQL where {named.removesuffix('.')}{more}"
    if destructive:
        action = destructive[0].action.replace(" ", "-")
        return judged(f"database.sql-{action}", "deny", environment, what, floor="ask")
    unparsed = any(finding.action == UNPARSED for finding in findings)
    return judged(
        "database.sql-unparsed" if unparsed else "database.sql-review",
        "ask",
        environment,
        what,
        floor="ask" if unparsed else "allow",
        ceiling="ask",
    )


def _plain_explain(action: str, statement: str) -> bool:
    """EXPLAIN without ANALYZE only plans the statement: nothing runs (sqlglot cannot parse it)."""
    from handrail.blast.sql import UNPARSED

    said = words(statement)
    return action == UNPARSED and said[:1] == ["explain"] and not {"analyze", "analyse"} & set(said)


# --- SQL clients: where their SQL and their target come from ---------------------------------


def _psql(invocation: Invocation, context: GuardContext) -> _Request:
    options = parse_options(
        invocation.args,
        (
            "c",
            "command",
            "f",
            "file",
            "d",
            "dbname",
            "h",
            "host",
            "p",
            "port",
            "U",
            "username",
            "v",
            "set",
            "variable",
            "o",
            "output",
            "L",
            "log-file",
            "P",
            "pset",
            "F",
            "R",
            "T",
        ),
        clusters=True,
    )
    request = _Request("psql", "postgres", meta="\\")
    for text in options.all_values("c", "command"):
        _add_text(request, context, text, "psql -c")
    _read_files(request, context, options.all_values("f", "file"), invocation)
    database = options.value("d", "dbname") or next(iter(options.positionals), None)
    request.targets += _connection(database, "database", context.env.get("PGDATABASE"))
    request.targets += _connection(options.value("h", "host"), "host", context.env.get("PGHOST"))
    if not options.has("c", "command", "f", "file"):
        _read_stdin(request, context, invocation)
    return request


def _mysql(invocation: Invocation, context: GuardContext) -> _Request:
    # `-pSECRET` carries an optional attached password: never a cluster of flags.
    args = [arg for arg in invocation.args if not (arg.startswith("-p") and arg != "-p")]
    options = parse_options(
        args,
        ("e", "execute", "D", "database", "h", "host", "u", "user", "P", "port", "S", "socket"),
        clusters=True,
    )
    request = _Request(invocation.program, "mysql")
    request.sql += [
        (text, f"{invocation.program} -e") for text in options.all_values("e", "execute")
    ]
    database = options.value("D", "database") or next(iter(options.positionals), None)
    request.targets += _connection(database, "database", None)
    request.targets += _connection(options.value("h", "host"), "host", None)
    if not request.sql:
        _read_stdin(request, context, invocation)
    return request


def _sqlite(invocation: Invocation, context: GuardContext) -> _Request:
    valued = ("cmd", "init", "separator", "newline", "nullvalue", "vfs", "maxsize", "c", "s")
    options = parse_options(invocation.args, valued)
    program = invocation.program
    request = _Request(program, "duckdb" if program == "duckdb" else "sqlite", meta=".")
    words = list(options.positionals)
    database = words.pop(0) if words else None
    commands = options.all_values("cmd", "c", "s") + words
    for text in commands:
        _add_text(request, context, text, f"{program} argument")
    _read_files(request, context, options.all_values("init"), invocation)
    if not words and not options.has("c", "s"):
        _read_stdin(request, context, invocation)
    if database is None or database == ":memory:":
        request.throwaway = Setting("SQLite database", ":memory:", "no file given")
    elif not resolve_path(context, database).exists():
        request.throwaway = Setting("SQLite database", database, "a file that does not exist yet")
        request.targets.append(Setting("SQLite database", database, "the command line"))
    else:
        request.targets.append(
            Setting("SQLite database", str(resolve_path(context, database)), "the command line")
        )
    return request


# Client meta-commands (not SQL): the ones that read a file of SQL, and the ones that run a shell.
_META = {
    ".": ((".read",), (".shell", ".system")),  # sqlite3, duckdb
    "\\": (("\\i", "\\ir", "\\include", "\\include_relative"), ("\\!",)),  # psql
}


def _add_text(request: _Request, context: GuardContext, text: str, source: str) -> None:
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


def _clickhouse(invocation: Invocation, context: GuardContext) -> _Request:
    args = invocation.args[1:] if invocation.program == "clickhouse" else invocation.args
    options = parse_options(
        args,
        (
            "q",
            "query",
            "d",
            "database",
            "h",
            "host",
            "u",
            "user",
            "password",
            "port",
            "queries-file",
            "format",
            "f",
        ),
    )
    request = _Request("clickhouse-client", "clickhouse")
    request.sql += [
        (text, "clickhouse-client --query") for text in options.all_values("q", "query")
    ]
    _read_files(request, context, options.all_values("queries-file"), invocation)
    request.targets += _connection(options.value("d", "database"), "database", None)
    request.targets += _connection(options.value("h", "host"), "host", None)
    if not request.sql:
        _read_stdin(request, context, invocation)
    return request


def _cockroach(invocation: Invocation, context: GuardContext) -> _Request:
    options = parse_options(
        invocation.args[1:], ("e", "execute", "d", "database", "url", "host", "f", "file", "user")
    )
    # Not only PostgreSQL's dialect: `SHOW DATABASES` and friends parse as MySQL's.
    request = _Request("cockroach sql", None)
    request.sql += [(text, "cockroach sql -e") for text in options.all_values("e", "execute")]
    _read_files(request, context, options.all_values("f", "file"), invocation)
    request.targets += _connection(options.value("d", "database"), "database", None)
    request.targets += _connection(options.value("url", "host"), "host", None)
    if not request.sql:
        _read_stdin(request, context, invocation)
    return request


def _sqlcmd(invocation: Invocation, context: GuardContext) -> _Request:
    options = parse_options(
        invocation.args, ("Q", "q", "d", "S", "U", "P", "i", "o", "v", "h", "s", "W")
    )
    request = _Request("sqlcmd", "tsql")
    request.sql += [(text, "sqlcmd -Q") for text in options.all_values("Q", "q")]
    _read_files(request, context, options.all_values("i"), invocation)
    request.targets += _connection(options.value("d"), "database", None)
    request.targets += _connection(options.value("S"), "host", None)
    return request


_SQL_CLIENTS: dict[str, Callable[[Invocation, GuardContext], _Request]] = {
    "psql": _psql,
    "mysql": _mysql,
    "mariadb": _mysql,
    "sqlite3": _sqlite,
    "sqlite": _sqlite,
    "duckdb": _sqlite,
    "clickhouse-client": _clickhouse,
    "cockroach sql": _cockroach,
    "sqlcmd": _sqlcmd,
}


def _connection(value: str | None, what: str, default: str | None) -> list[Setting | None]:
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


def _read_files(
    request: _Request, context: GuardContext, paths: list[str], invocation: Invocation
) -> None:
    for path in paths:
        if path == "-":
            _read_stdin(request, context, invocation)
        else:
            request.sql.append(_file_sql(context, path, request))


def _file_sql(context: GuardContext, path: str, request: _Request) -> tuple[str, str]:
    try:
        return resolve_path(context, path).read_text(encoding="utf-8", errors="replace"), path
    except OSError:
        request.opaque = f"the file {path} cannot be read here"
        return "", path


def _read_stdin(request: _Request, context: GuardContext, invocation: Invocation) -> None:
    """SQL fed on stdin: a heredoc, `< FILE`, or a literal echo/printf/cat upstream."""
    text, source = _stdin(invocation, context)
    if text is None:
        if source is not None:
            request.opaque = source
        return
    _add_text(request, context, text, source or "stdin")


def _stdin(invocation: Invocation, context: GuardContext) -> tuple[str | None, str | None]:
    """(text, where it comes from); (None, why) when stdin is fed but unreadable; (None, None)."""
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
    if feeder.program == "echo":
        words = [w for w in feeder.args if w not in ("-n", "-e", "-E")]
        return " ".join(words), "echo"
    if feeder.program == "printf" and feeder.args:
        return _printf(feeder.args), "printf"
    if feeder.program == "cat" and feeder.args:
        texts = []
        for path in feeder.args:
            try:
                texts.append(resolve_path(context, path).read_text(errors="replace"))
            except OSError:
                return None, f"the file {path} cannot be read here"
        return "\n".join(texts), " ".join(feeder.args)
    if feeder.program in ("gunzip", "zcat", "pg_dump", "mysqldump", "curl", "wget", "ssh"):
        return None, f"its input comes from `{feeder.source}`"
    return None, None


def _printf(args: tuple[str, ...]) -> str:
    """printf's output for plain `%s` formats, enough to read SQL it pipes."""
    text = args[0].replace("\\n", "\n").replace("\\t", "\t")
    for value in args[1:]:
        text = text.replace("%s", value, 1)
    return text


# --- Tools that are not SQL clients ------------------------------------------------------------

# Redis commands that erase or stop more than the keys they name.
_REDIS = {
    "flushall": ("deny", "deletes every key in every database"),
    "flushdb": ("deny", "deletes every key in the database"),
    "shutdown": ("ask", "stops the server"),
    "swapdb": ("ask", "swaps two databases under every client"),
    "debug": ("ask", "can crash or stall the server"),
    "migrate": ("ask", "moves keys away from this server"),
    "replicaof": ("ask", "makes the server a replica, discarding its data"),
    "slaveof": ("ask", "makes the server a replica, discarding its data"),
    "config": ("ask", "changes the running server's configuration"),
    "script": ("ask", "can flush every cached script"),
    "function": ("ask", "can flush every function"),
    "cluster": ("ask", "can reset or reshape the cluster"),
}


RULES.update({f"database.redis-{name}": f"redis-cli {name.upper()}" for name in _REDIS})


def _redis(invocation: Invocation, context: GuardContext) -> Verdict | None:
    options = parse_options(
        invocation.args,
        (
            "h",
            "p",
            "a",
            "n",
            "u",
            "user",
            "pass",
            "s",
            "r",
            "i",
            "d",
            "D",
            "pattern",
            "count",
            "cacert",
            "cert",
            "key",
            "sni",
            "eval",
            "askpass",
        ),
    )
    commands = [list(options.positionals)] if options.positionals else []
    if not commands:
        text, _ = _stdin(invocation, context)
        commands = [_words(line) for line in (text or "").splitlines() if line.strip()]
    environment = classify(
        [
            *_connection(options.value("u"), "host", None),
            *_connection(options.value("h"), "host", None),
        ],
        context,
    )
    verdicts = []
    for command in commands:
        if not command:
            continue
        name = command[0].lower()
        if name in _REDIS and (
            name not in ("config", "script", "function", "cluster")
            or (command[1:2] and command[1].lower() in ("set", "flush", "reset"))
        ):
            base, effect = _REDIS[name]
            floor: Decision = "ask" if base == "deny" else "allow"
            verdicts.append(
                judged(
                    f"database.redis-{name}",
                    base,
                    environment,
                    f"`redis-cli {' '.join(command[:2])}` {effect}",
                    floor=floor,
                )
            )
        elif name in ("del", "unlink") and len(command) == 1 and invocation.upstream:
            verdicts.append(
                judged(
                    "database.redis-bulk-delete",
                    "ask",
                    environment,
                    f"`{invocation.source}` deletes every key its input lists",
                    floor="ask",
                )
            )
    return _strictest(verdicts)


def _words(line: str) -> list[str]:
    try:
        import shlex

        return shlex.split(line)
    except ValueError:
        return line.split()


# MongoDB shell methods that drop data; "every" means: with no filter or an empty one.
_MONGO_DROPS = {
    "dropDatabase": "drops the whole database",
    "drop": "drops the collection and every document in it",
}
_MONGO_UNFILTERED = {
    "deleteMany": "deletes every document in the collection",
    "remove": "deletes every document in the collection",
    "updateMany": "overwrites every document in the collection",
    "update": "overwrites documents in the collection",
}


RULES.update(
    {
        f"database.mongo-{name.lower()}-all": f"{name}() with an empty filter"
        for name in _MONGO_UNFILTERED
    }
)


def _mongo(invocation: Invocation, context: GuardContext) -> Verdict | None:
    options = parse_options(
        invocation.args,
        (
            "eval",
            "host",
            "port",
            "u",
            "username",
            "p",
            "password",
            "authenticationDatabase",
            "f",
            "file",
            "tls",
            "tlsCAFile",
        ),
    )
    scripts = [(text, "--eval") for text in options.all_values("eval")]
    files = options.all_values("f", "file") + [
        word for word in options.positionals if word.endswith(".js")
    ]
    for path in files:
        try:
            scripts.append((resolve_path(context, path).read_text(errors="replace"), path))
        except OSError:
            return Verdict(
                "ask",
                "database.unreadable-input",
                f"`{invocation.source}` runs {path}, which cannot be read here.",
            )
    if not scripts:
        text, source = _stdin(invocation, context)
        if text is not None:
            scripts.append((text, source or "stdin"))
    targets = [word for word in options.positionals if not word.endswith(".js")]
    environment = classify(
        [item for target in targets for item in _connection(target, "database", None)]
        + _connection(options.value("host"), "host", None),
        context,
    )
    verdicts = [_judge_mongo(text, source, environment) for text, source in scripts]
    return _strictest(verdicts)


@cache
def _javascript_parser() -> Parser:
    import tree_sitter_javascript
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_javascript.language()))


def _judge_mongo(script: str, source: str, environment: Environment) -> Verdict | None:
    tree = _javascript_parser().parse(script.encode())
    if tree.root_node.has_error:
        return judged(
            "database.mongo-unparsed",
            "ask",
            environment,
            f"the MongoDB script from {source} could not be parsed",
            floor="ask",
            ceiling="ask",
        )
    for node in _calls(tree.root_node):
        method = node.child_by_field_name("function")
        if method is None or method.type != "member_expression":
            continue
        name_node = method.child_by_field_name("property")
        name = name_node.text.decode() if name_node and name_node.text else ""
        arguments = node.child_by_field_name("arguments")
        call = node.text.decode(errors="replace") if node.text else name
        if name in _MONGO_DROPS:
            return judged(
                f"database.mongo-{name.lower()}",
                "deny",
                environment,
                f"`{call}` {_MONGO_DROPS[name]}",
                floor="ask",
            )
        if name in _MONGO_UNFILTERED and _unfiltered(arguments):
            return judged(
                f"database.mongo-{name.lower()}-all",
                "deny",
                environment,
                f"`{call}` has an empty filter: it {_MONGO_UNFILTERED[name]}",
                floor="ask",
            )
    return None


def _calls(root: Node) -> list[Node]:
    found, pending = [], [root]
    while pending:
        node = pending.pop()
        if node.type == "call_expression":
            found.append(node)
        pending.extend(node.children)
    return found


def _unfiltered(arguments: Node | None) -> bool:
    """No filter, or `{}`: the method reaches every document."""
    if arguments is None:
        return True
    values = [child for child in arguments.named_children if child.type != "comment"]
    return not values or (values[0].type == "object" and not values[0].named_children)


def _drop_tool(
    effect: str, base: Decision, what: str
) -> Callable[[Invocation, GuardContext], Verdict | None]:
    """dropdb, pg_dropcluster…: the command's own name says what it destroys."""

    def judge_tool(invocation: Invocation, context: GuardContext) -> Verdict | None:
        options = parse_options(
            invocation.args,
            ("h", "host", "p", "port", "U", "username", "maintenance-db", "stop-server"),
        )
        if options.has("help", "version", "V"):
            return None
        environment = classify(
            [Setting(what, name, "the command line") for name in options.positionals]
            + _connection(options.value("h", "host"), "host", None),
            context,
        )
        floor: Decision = "ask" if base == "deny" else "allow"
        return judged(
            f"database.{invocation.program}",
            base,
            environment,
            f"`{invocation.source}` {effect}",
            floor=floor,
        )

    return judge_tool


def _mysqladmin(invocation: Invocation, context: GuardContext) -> Verdict | None:
    args = [arg for arg in invocation.args if not (arg.startswith("-p") and arg != "-p")]
    options = parse_options(
        args, ("h", "host", "u", "user", "P", "port", "S", "socket"), clusters=True
    )
    words = [word.lower() for word in options.positionals]
    environment = classify(
        _connection(options.value("h", "host"), "host", None)
        + [Setting("database", w, "the command line") for w in words[1:]],
        context,
    )
    if words[:1] == ["drop"]:
        return judged(
            "database.mysqladmin-drop",
            "deny",
            environment,
            f"`{invocation.source}` deletes the database and all its data",
            floor="ask",
        )
    if words[:1] == ["shutdown"]:
        return judged(
            "database.mysqladmin-shutdown",
            "ask",
            environment,
            f"`{invocation.source}` stops the server",
        )
    return None


def _pg_restore(invocation: Invocation, context: GuardContext) -> Verdict | None:
    options = parse_options(
        invocation.args, ("d", "dbname", "h", "host", "f", "file", "U"), clusters=True
    )
    if not options.has("c", "clean") or options.has("f", "file", "l", "list"):
        return None
    environment = classify(_connection(options.value("d", "dbname"), "database", None), context)
    return judged(
        "database.pg-restore-clean",
        "ask",
        environment,
        f"`{invocation.source}` drops every object it restores before recreating it",
    )


def _strictest(verdicts: list[Verdict | None]) -> Verdict | None:
    from handrail.guard.model import SEVERITY

    found = [verdict for verdict in verdicts if verdict is not None]
    return max(found, key=lambda verdict: SEVERITY[verdict.decision]) if found else None


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
# The frameworks' own local environments (Rails, Django, Node), where resets are routine.
_LOCAL_ENVIRONMENTS = frozenset(("development", "test"))
_LAUNCHERS = frozenset(("bundle", "npx", "pnpm", "yarn", "bunx", "python", "python3"))


def _framework_task(invocation: Invocation, context: GuardContext) -> Verdict | None:
    argv = list(invocation.argv)
    while argv and argv[0] in _LAUNCHERS and len(argv) > 1:  # bundle exec rails, npx prisma
        argv = argv[2:] if argv[1] in ("exec", "dlx", "run") else argv[1:]
    if not argv or {"--help", "-h", "help"} & set(argv):
        return None
    tool = "manage.py" if argv[0].endswith("manage.py") or argv[0] == "django-admin" else argv[0]
    words_given = [word for word in argv[1:] if "=" not in word or word.startswith("-")]
    for (name, task), (base, effect) in _FRAMEWORK_TASKS.items():
        wanted = task.split()
        if name == tool and all(word in words_given for word in wanted):
            environment = _framework_environment(argv, context)
            floor: Decision = "ask" if base == "deny" else "allow"
            return judged(f"database.framework-{task.split()[0].replace(':', '-')}", base,
                          environment, f"`{invocation.source}` {effect}", floor=floor)  # fmt: skip
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
    found += _connection(context.env.get("DATABASE_URL"), "database", None)
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
    words_given = list(options.positionals)
    deletes = (
        words_given[:2] in (["volume", "rm"], ["volume", "prune"])
        or (words_given[:2] == ["system", "prune"] and options.has("volumes"))
        or (words_given[:1] == ["down"] and options.has("v", "volumes"))
    )
    if not deletes:
        return None
    return Verdict("ask", "database.docker-volumes",
                   f"`{invocation.source}` deletes Docker volumes, where containerised "
                   "databases keep their data.")  # fmt: skip


_OTHER_TOOLS: dict[str, Callable[[Invocation, GuardContext], Verdict | None]] = {
    "docker": _docker_volumes,
    "docker-compose": _docker_volumes,
    "podman": _docker_volumes,
    "redis-cli": _redis,
    "valkey-cli": _redis,
    "mongo": _mongo,
    "mongosh": _mongo,
    "dropdb": _drop_tool("deletes the database and all its data", "deny", "database"),
    "pg_dropcluster": _drop_tool(
        "deletes the PostgreSQL cluster and all its data", "deny", "cluster"
    ),
    "dropuser": _drop_tool("deletes the database role", "ask", "role"),
    "mysqladmin": _mysqladmin,
    "pg_restore": _pg_restore,
}
