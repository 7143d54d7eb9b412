"""MCP tool calls: SQL in their arguments, shell commands given to shell-like tools, and tools
named for destruction.

An MCP tool is opaque: the guard sees only its name and arguments. SQL is parsed (the database
family's SQL verdicts); a `command` given to a tool named for running commands is judged as
shell; a tool named `delete_*`, `drop_*`, `destroy_*`… asks; anything else is allowed. A server
named like production (`mcp__prod-db__query`, `mcp__production_postgres__execute`, a Cursor
server URL on `prod.example.com`) makes the call a production one: the reasons say so, and a
destructive tool there is denied.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from handrail.guard.model import Verdict

if TYPE_CHECKING:
    from collections.abc import Iterator

    from handrail.guard.context import Environment
    from handrail.guard.hooks.core import McpCall
    from handrail.guard.model import GuardContext

DESTRUCTIVE_WORDS = frozenset({"delete", "drop", "destroy", "truncate", "purge", "wipe", "erase"})
SHELL_WORDS = frozenset({"shell", "bash", "exec", "execute", "terminal", "command", "cmd"})
SQL_KEYS = frozenset({"sql", "query", "queries", "statement", "statements", "sql_query"})
# Tools whose names say they run SQL: there, text that does not parse is still SQL to review.
SQL_TOOL_WORDS = frozenset({
    "sql", "query", "db", "database", "postgres", "postgresql", "pg", "mysql", "sqlite",
    "execute", "exec", "statement", "bigquery", "snowflake", "duckdb",
})  # fmt: skip
COMMAND_KEYS = frozenset({"command", "cmd", "command_line", "commandline", "script"})
# A `query` argument is often plain words for a search tool: it is SQL only when it starts
# like SQL. (sqlglot decides what the SQL does; this only keeps search text out of it.)
SQL_FIRST_WORDS = frozenset({
    "select", "insert", "update", "delete", "drop", "truncate", "alter", "create", "with",
    "merge", "replace", "upsert", "grant", "revoke", "copy", "begin", "start", "vacuum",
    "rename", "call", "exec", "execute", "set", "pragma", "attach", "detach", "comment",
})  # fmt: skip
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_MAX_DEPTH = 6


def name_words(name: str) -> set[str]:
    """`deleteRecords`, `drop_table`, `DB-Destroy` → their lower-case words."""
    return {word.lower() for word in _NAME_WORDS.findall(name)}


def judge_mcp(call: McpCall, context: GuardContext) -> Verdict:
    from handrail.guard.context import judged
    from handrail.guard.engine import decide_command, final_verdict
    from handrail.guard.rules import strictest

    environment = server_environment(call.server, context)
    words = name_words(call.tool)
    verdicts: list[Verdict | None] = []
    commands: list[str] = []
    for key, text in _strings(call.arguments):
        if key in SQL_KEYS and (key == "sql" or _starts_like_sql(text)):
            surely_sql = key == "sql" or bool(words & SQL_TOOL_WORDS)
            verdicts.append(_sql_verdict(text, surely_sql, environment))
        elif key in COMMAND_KEYS and words & SHELL_WORDS:
            commands.append(text)
    destructive = sorted(words & DESTRUCTIVE_WORDS)
    if destructive:
        what = (
            f"the MCP tool {call.tool} of {call.server or 'an MCP server'} is named for"
            f" a destructive operation ({destructive[0]})"
        )
        verdicts.append(judged("mcp.destructive-tool", "ask", environment, what, floor="ask"))
    own = final_verdict(
        [v for v in verdicts if v is not None],
        context,
        f"the MCP tool {call.tool} carries nothing the guard judges",
    )
    return strictest([own, *(decide_command(text, context) for text in commands)]) or own


def server_environment(server: str, context: GuardContext) -> Environment:
    """Production when the server's name says so; otherwise unknown (a server named `dev-db`
    lowers nothing: its name is no proof of what it reaches)."""
    from handrail.guard.context import Environment, Setting, environment_class

    if server and environment_class(server, context) == "production":
        return Environment("production", Setting("MCP server", server, "the tool call"))
    return Environment("unknown")


def _sql_verdict(text: str, surely_sql: bool, environment: Environment) -> Verdict | None:
    """The database family's verdict; text that does not parse counts only where the argument
    or the tool is plainly about SQL ("update my profile" given to a search tool is words)."""
    from handrail.guard.rules.sql_verdicts import judge_statements

    found = judge_statements([(text, "the SQL")], None, environment)
    if found is not None and found.rule == "database.sql-unparsed" and not surely_sql:
        return None
    return found


def _starts_like_sql(text: str) -> bool:
    first = text.lstrip(" \t\r\n(").split(None, 1)
    return bool(first) and first[0].lower().rstrip(";") in SQL_FIRST_WORDS


def _strings(value: Any, key: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    """(key, text) for every string in the arguments; a list's items keep the list's key."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        yield key.lower(), value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(item, str(name), depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key, depth + 1)
