"""SQL weighed statement by statement (sqlglot, through `handrail.blast.sql`, imported only when
there is SQL): DROP of tables, schemas and databases, TRUNCATE, DELETE or UPDATE of every row
are `deny`; other doubtful statements and SQL that cannot be read are `ask`. A reason names the
statement and its table: "DROP TABLE users deletes the table and every row in it".
"""

from __future__ import annotations

from handrail.guard.context import Environment, judged, words
from handrail.guard.model import GuardContext, Verdict

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
}
_SHOWN = 3  # statements named in a reason; the rest are counted


def judge_sql(sql: str, context: GuardContext, dialect: str | None = None) -> Verdict | None:
    """The verdict on SQL an agent wants to run through any tool (MCP database tools too)."""
    return judge_statements([(sql, "the SQL")], dialect, Environment("unknown"))


def judge_statements(
    sql: list[tuple[str, str]],
    dialect: str | None,
    environment: Environment,
    client: str | None = None,
) -> Verdict | None:
    """The strictest verdict over pieces of SQL, given as (text, where it comes from)."""
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
    named = "; ".join(finding.reason.removesuffix(".") for finding in chosen[:_SHOWN])
    more = len(chosen) - _SHOWN
    what = named + (f" (and {more} more)" if more > 0 else "")
    what += f", sent by `{client}`" if client else ""
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
