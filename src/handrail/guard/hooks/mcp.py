"""MCP tool calls: SQL in their arguments, shell commands given to shell-like tools, and tools
named for destruction.

An MCP tool is opaque: the guard sees only its name and arguments. SQL is parsed (the database
family's `judge_sql`); a `command` given to a tool named for running commands is judged as
shell; a tool named `delete_*`, `drop_*`, `destroy_*`… asks; anything else is allowed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from handrail.guard.model import Verdict

if TYPE_CHECKING:
    from collections.abc import Iterator

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
    from handrail.guard.engine import _final, decide_command
    from handrail.guard.rules import strictest

    words = name_words(call.tool)
    verdicts: list[Verdict | None] = []
    commands: list[str] = []
    for key, text in _strings(call.arguments):
        if key in SQL_KEYS and (key == "sql" or _starts_like_sql(text)):
            verdicts.append(
                _sql_verdict(text, key == "sql" or bool(words & SQL_TOOL_WORDS), context)
            )
        elif key in COMMAND_KEYS and words & SHELL_WORDS:
            commands.append(text)
    destructive = sorted(words & DESTRUCTIVE_WORDS)
    if destructive:
        verdicts.append(
            Verdict(
                "ask",
                "mcp.destructive-tool",
                f"the MCP tool {call.tool} of {call.server or 'an MCP server'} is named for"
                f" a destructive operation ({destructive[0]})",
            )
        )
    own = _final(
        [v for v in verdicts if v is not None],
        context,
        f"the MCP tool {call.tool} carries nothing the guard judges",
    )
    return strictest([own, *(decide_command(text, context) for text in commands)]) or own


def _sql_verdict(text: str, surely_sql: bool, context: GuardContext) -> Verdict | None:
    """The database family's verdict; text that does not parse counts only where the argument
    or the tool is plainly about SQL ("update my profile" given to a search tool is words)."""
    from handrail.guard.rules.database import judge_sql

    found = judge_sql(text, context)
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
