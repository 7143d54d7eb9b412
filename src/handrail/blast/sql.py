"""Destructive SQL statements, found by parsing the SQL with sqlglot, never by matching text.

A pure function of text, so the same analysis reads the migrations of a change and the SQL
an agent is about to run (`psql -c "..."`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Literal

from handrail.blast.findings import Destruction, Severity
from handrail.errors import HandrailError

if TYPE_CHECKING:
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokens import Token

# Tried in this order when the caller names no dialect; the first that parses every statement
# wins (migrations are most often PostgreSQL, then MySQL), else the one that parses the most.
FALLBACK_DIALECTS = ("postgres", "mysql", "sqlite")

UNPARSED = "unparsed"  # the action of a finding for SQL sqlglot could not read

# What a DROP of each kind of object does: (severity, holds state, what it does). A kind not
# listed is "review": fail closed rather than call an unknown object harmless.
DROP_EFFECTS: dict[str, tuple[Severity, bool, str]] = {
    "TABLE": ("destructive", True, "deletes the table and every row in it"),
    "SCHEMA": ("destructive", True, "deletes the schema and every table in it"),
    "DATABASE": ("destructive", True, "deletes the database and all its data"),
    "COLUMN": ("destructive", True, "deletes the column's value in every row"),
    "TEMPORARY TABLE": ("review", False, "drops a table that lives only for the session"),
    "CONSTRAINT": ("review", False, "stops the database enforcing the constraint"),
    "VIEW": ("review", False, "removes the view: queries that read it will fail"),
    "MATERIALIZED VIEW": (
        "review",
        False,
        "removes the materialized view: its rows can be recomputed, but queries that read it "
        "will fail",
    ),
    "INDEX": (
        "review",
        False,
        "removes the index: queries that used it slow down, and a unique index stops "
        "enforcing uniqueness",
    ),
}

# Flyway undo migrations, U<version>__<description>.sql: rollbacks, like golang-migrate downs.
_FLYWAY_UNDO = re.compile(r"U\d+(?:[._]\d+)*__.+\.sql", re.IGNORECASE)

MigrationRole = Literal["forward", "rollback"]

# sqlglot logs a warning whenever it falls back to an opaque Command; those statements become
# findings here, and an analysis must not write to the terminal.
logging.getLogger("sqlglot").addHandler(logging.NullHandler())


def migration_role(path: str) -> MigrationRole | None:
    """Whether `path` is SQL a deploy runs forward, a rollback script, or not SQL (None).

    Every `*.sql` runs forward: plain scripts, Flyway `V1__add.sql` and `R__view.sql`,
    golang-migrate and sqlx `1_add.up.sql`, Diesel `up.sql`. Rollbacks are golang-migrate and
    sqlx `*.down.sql`, Diesel `down.sql` and Flyway undo `U1__add.sql`: they exist to undo
    their forward script, so the DROPs in them are expected and do not make a change
    destructive; a deploy runs them only when it rolls back.
    """
    name = PurePosixPath(path.replace("\\", "/")).name
    lowered = name.lower()
    if not lowered.endswith(".sql"):
        return None
    if lowered == "down.sql" or lowered.endswith(".down.sql") or _FLYWAY_UNDO.fullmatch(name):
        return "rollback"
    return "forward"


def is_migration(path: str) -> bool:
    """Whether `path` is SQL a forward deploy runs (see migration_role; rollbacks are not)."""
    return migration_role(path) == "forward"


def analyze_sql(text: str, source: str, dialect: str | None = None) -> list[Destruction]:
    """Every destructive or doubtful statement in `text`, with its line in `source`.

    Comments and string literals never count. A statement sqlglot cannot parse is a
    "review" finding, never silently harmless. `dialect` is a sqlglot dialect name
    ("postgres", "mysql", "sqlite", …); without one, FALLBACK_DIALECTS are tried in order.
    """
    if dialect is not None:
        return _analyze(text, source, dialect, mysql_comments=None)
    # Whatever dialect wins, `/*! ... */` is MySQL's way to run SQL: read it in any case.
    best = _analyze(text, source, FALLBACK_DIALECTS[0], mysql_comments=True)
    for name in FALLBACK_DIALECTS[1:]:
        if not _count_unparsed(best):
            break
        findings = _analyze(text, source, name, mysql_comments=True)
        if _count_unparsed(findings) < _count_unparsed(best):
            best = findings
    return best


def _count_unparsed(findings: list[Destruction]) -> int:
    return sum(finding.action == UNPARSED for finding in findings)


def _analyze(
    text: str, source: str, dialect_name: str, mysql_comments: bool | None
) -> list[Destruction]:
    """Findings in one dialect; `mysql_comments` None means: if the dialect is MySQL's."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.dialects.mysql import MySQL
    from sqlglot.errors import TokenError

    try:
        dialect = Dialect.get_or_raise(dialect_name)
    except ValueError as exc:
        raise HandrailError(
            f"{source}: dialect: {exc} Name a sqlglot dialect such as postgres, mysql or sqlite."
        ) from None
    tokenizer = dialect.tokenizer_class(dialect=dialect)
    try:
        tokens = tokenizer.tokenize(text)
        unreadable = False
    except TokenError:  # e.g. an unterminated string: what came before it is still good
        tokens = tokenizer.tokens
        unreadable = True

    statements, rest = _split(tokens)
    findings: list[Destruction] = []
    if unreadable:
        start = rest[0].start if rest else _next_text(text, tokens[-1].end + 1 if tokens else 0)
        found = partial(Destruction, "database", source, _line_at(text, start))
        why = "an unterminated string, quoted name or comment?"
        findings.append(
            _unparsed(found, _excerpt(text, start, len(text)), f"from here to the end ({why})")
        )
    elif rest:
        statements.append(rest)  # the last statement needs no semicolon
    for statement in statements:
        findings += _statement_findings(statement, text, source, dialect, dialect_name)
    if mysql_comments or (mysql_comments is None and isinstance(dialect, MySQL)):
        findings += _executable_comment_findings(tokens, text, source, dialect_name)
    findings.sort(key=lambda finding: finding.line or 0)
    return findings


def _split(tokens: list[Token]) -> tuple[list[list[Token]], list[Token]]:
    """Statements ended by a semicolon, and the tokens after the last semicolon."""
    from sqlglot.tokens import TokenType

    statements: list[list[Token]] = []
    current: list[Token] = []
    for token in tokens:
        if token.token_type != TokenType.SEMICOLON:
            current.append(token)
        elif current:
            statements.append(current)
            current = []
    return statements, current


def _statement_findings(
    tokens: list[Token], text: str, source: str, dialect: Dialect, dialect_name: str
) -> list[Destruction]:
    from sqlglot.errors import ParseError

    found = partial(Destruction, "database", source, tokens[0].line)
    excerpt = _excerpt(text, tokens[0].start, tokens[-1].end + 1)
    try:
        trees = dialect.parser().parse(tokens, text)
    except ParseError as exc:
        error = exc.errors[0] if exc.errors else {}
        near = f"near {error.get('highlight')!r}" if error.get("highlight") else str(exc)
        return [_unparsed(found, excerpt, f"as {dialect_name} SQL ({near})")]
    except RecursionError:  # nested deeper than Python's stack allows: unread, not harmless
        return [_unparsed(found, excerpt, "(it nests too deeply)")]
    return [
        finding
        for tree in trees
        if tree is not None
        for finding in _tree_findings(tree, found, dialect, dialect_name)
    ]


def _tree_findings(
    tree: exp.Expression,
    found: Callable[..., Destruction],
    dialect: Dialect,
    dialect_name: str,
) -> Iterator[Destruction]:
    """Findings for every destructive node, wherever it sits (a DELETE inside a CTE counts)."""
    from sqlglot import exp

    for node in tree.walk():
        if isinstance(node, exp.Command):
            what = f"an opaque {node.name} command (syntax it does not support in {dialect_name})"
            statement = node.sql(dialect=dialect)
            yield _unparsed(found, _excerpt(statement, 0, len(statement)), f"beyond {what}")
        elif isinstance(node, exp.Drop):
            yield _drop_finding(node, found, dialect)
        elif isinstance(node, exp.TruncateTable):
            names = _names(node.expressions, dialect)
            yield found(
                names, "truncate", True, "destructive", f"TRUNCATE {names} deletes every row."
            )
        elif isinstance(node, exp.Delete | exp.Update):
            finding = _unrestricted_write_finding(node, found, dialect)
            if finding is not None:
                yield finding
        elif isinstance(node, exp.Alter):
            yield from _rename_findings(node, found, dialect)
        elif isinstance(node, exp.Create) and node.args.get("replace") and node.kind == "TABLE":
            table = node.this.this if isinstance(node.this, exp.Schema) else node.this
            name = table.sql(dialect=dialect)
            reason = f"CREATE OR REPLACE TABLE {name} drops the existing table and every row in it."
            yield found(name, "replace table", True, "destructive", reason)


def _drop_finding(
    node: exp.Drop, found: Callable[..., Destruction], dialect: Dialect
) -> Destruction:
    from sqlglot import exp

    kind = str(node.args.get("kind") or "").upper()
    if node.args.get("materialized"):
        kind = f"MATERIALIZED {kind}"
    if node.args.get("temporary"):
        kind = f"TEMPORARY {kind}"
    dropped = node.args.get("tables") or []
    target = _names(dropped, dialect)
    statement = f"DROP {kind} {target}"
    if isinstance(node.parent, exp.Alter):  # ALTER TABLE t DROP COLUMN c: the target is t.c
        table = node.parent.this.sql(dialect=dialect)
        target = _names(dropped, dialect, prefix=f"{table}.")
        statement = f"ALTER TABLE {table} {statement}"
    severity, stateful, effect = DROP_EFFECTS.get(
        kind, ("review", False, f"drops a {kind.lower()}, an object Handrail cannot judge")
    )
    cascade = (
        " CASCADE also drops every object that depends on it." if node.args.get("cascade") else ""
    )
    return found(
        target, f"drop {kind.lower()}", stateful, severity, f"{statement} {effect}.{cascade}"
    )


def _unrestricted_write_finding(
    node: exp.Delete | exp.Update, found: Callable[..., Destruction], dialect: Dialect
) -> Destruction | None:
    """A DELETE or UPDATE that reaches every row: no WHERE (nor inner join), or WHERE true."""
    from sqlglot import exp

    where = node.args.get("where")
    if where is None and _joins_restrict(node):
        return None
    if where is None:
        scope = "has no WHERE clause"
    elif _always_true(where.this):
        scope = f"has a WHERE clause that is always true ({where.this.sql(dialect=dialect)})"
    else:
        return None
    # MySQL's `DELETE t FROM t JOIN u ...` names the tables it deletes from in "tables".
    written = node.args.get("tables") or [node.this]
    table = ", ".join(_table_name(name, dialect) for name in written)
    if isinstance(node, exp.Delete):
        reason = f"DELETE FROM {table} {scope}: it deletes every row."
        return found(table, "delete all rows", True, "destructive", reason)
    columns = ", ".join(assignment.this.sql(dialect=dialect) for assignment in node.expressions)
    reason = f"UPDATE {table} {scope}: it overwrites {columns} in every row."
    return found(table, "update all rows", True, "destructive", reason)


def _joins_restrict(node: exp.Delete | exp.Update) -> bool:
    """Whether an inner join's ON limits the rows (MySQL `DELETE t FROM t JOIN u ON ...`)."""
    from sqlglot import exp

    tables = [node.this, *(node.args.get("using") or [])]
    return any(
        join.args.get("on") is not None and not join.side and join.kind in ("", "INNER")
        for table in tables
        if isinstance(table, exp.Expression)
        for join in table.args.get("joins") or []
    )


def _always_true(condition: exp.Expression) -> bool:
    """`WHERE 1 = 1`, `WHERE true OR x`: conditions that hold for every row."""
    from sqlglot import exp
    from sqlglot.optimizer.simplify import simplify

    simplified = simplify(condition.copy())
    return isinstance(simplified, exp.Boolean) and simplified.this is True


def _rename_findings(
    node: exp.Alter, found: Callable[..., Destruction], dialect: Dialect
) -> Iterator[Destruction]:
    from sqlglot import exp

    if str(node.args.get("kind")).upper() != "TABLE":
        return
    table = node.this.sql(dialect=dialect)
    for action in node.args.get("actions") or []:
        if isinstance(action, exp.AlterRename):
            new = action.this.sql(dialect=dialect)
            reason = (
                f"ALTER TABLE {table} RENAME TO {new}: code that still reads {table} will fail."
            )
            yield found(table, "rename table", False, "review", reason)
        elif isinstance(action, exp.RenameColumn):
            old, new = action.this.sql(dialect=dialect), action.args["to"].sql(dialect=dialect)
            reason = (
                f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}: code that still reads "
                f"{old} will fail."
            )
            yield found(f"{table}.{old}", "rename column", False, "review", reason)


def _executable_comment_findings(
    tokens: list[Token], text: str, source: str, dialect_name: str
) -> list[Destruction]:
    """MySQL runs `/*! ... */` comments (MariaDB also `/*M! ... */`) as SQL: read them as SQL."""
    findings: list[Destruction] = []
    cursor = 0
    for token in tokens:
        for comment in token.comments:
            offset = text.find(comment, cursor)
            cursor = offset + len(comment)
            # Only block comments run (`-- !x` does not); after the "!" comes an optional
            # minimum server version, then the SQL.
            if not (comment.startswith(("!", "M!")) and text.startswith("/*", offset - 2)):
                continue
            sql = comment.split("!", 1)[1].lstrip("0123456789")
            first_line = _line_at(text, offset)
            findings += [
                replace(finding, line=(finding.line or 1) + first_line - 1)
                for finding in _analyze(sql, source, dialect_name, mysql_comments=False)
            ]
    return findings


def _unparsed(found: Callable[..., Destruction], excerpt: str, what: str) -> Destruction:
    reason = f"sqlglot could not parse this statement {what}; review it by hand."
    return found(excerpt, UNPARSED, False, "review", reason)


def _table_name(table: exp.Expression, dialect: Dialect) -> str:
    """A table's name without the joins and alias that hang on it in the syntax tree."""
    from sqlglot import exp

    if isinstance(table, exp.Table):
        return exp.table_name(table, dialect=dialect)
    return table.sql(dialect=dialect)


def _names(nodes: list[exp.Expression], dialect: Dialect, prefix: str = "") -> str:
    return ", ".join(prefix + node.sql(dialect=dialect) for node in nodes)


def _excerpt(text: str, start: int, end: int, width: int = 80) -> str:
    """The statement on one line, shortened: enough for a person to find it."""
    flat = " ".join(text[start:end].split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _next_text(text: str, offset: int) -> int:
    """The offset of the first non-blank character at or after `offset`."""
    rest = text[offset:]
    return offset + len(rest) - len(rest.lstrip())


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
