"""Destructive SQL, parsed by sqlglot: true positives, hard negatives, lines, dialects, paths."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from handrail.blast.sql import DROP_EFFECTS, UNPARSED, analyze_sql, is_migration, migration_role
from handrail.errors import HandrailError


def _summary(sql: str, dialect: str | None = None) -> list[tuple[int | None, str, str, str]]:
    return [(f.line, f.action, f.target, f.severity) for f in analyze_sql(sql, "m.sql", dialect)]


# One statement per kind of destruction.


@pytest.mark.parametrize(
    ("sql", "action", "target", "severity"),
    [
        ("DROP TABLE users", "drop table", "users", "destructive"),
        ("DROP TABLE IF EXISTS a, b CASCADE", "drop table", "a, b", "destructive"),
        ("DROP SCHEMA billing CASCADE", "drop schema", "billing", "destructive"),
        ("DROP DATABASE shop", "drop database", "shop", "destructive"),
        ("DROP VIEW active_users", "drop view", "active_users", "review"),
        ("DROP MATERIALIZED VIEW daily", "drop materialized view", "daily", "review"),
        ("DROP INDEX CONCURRENTLY idx_email", "drop index", "idx_email", "review"),
        ("DROP FUNCTION refresh_totals", "drop function", "refresh_totals", "review"),
        ("TRUNCATE TABLE sessions", "truncate", "sessions", "destructive"),
        ("TRUNCATE a, b RESTART IDENTITY", "truncate", "a, b", "destructive"),
        ("DELETE FROM users", "delete all rows", "users", "destructive"),
        ("DELETE FROM public.users AS u", "delete all rows", "public.users", "destructive"),
        ("DELETE FROM users WHERE 1 = 1", "delete all rows", "users", "destructive"),
        ("DELETE FROM orders USING customers", "delete all rows", "orders", "destructive"),
        ("UPDATE users SET email = NULL", "update all rows", "users", "destructive"),
        ("UPDATE users SET a = 0 WHERE TRUE OR id = 1", "update all rows", "users", "destructive"),
        ("UPDATE t SET c = u.c FROM u", "update all rows", "t", "destructive"),
        ("ALTER TABLE users DROP COLUMN email", "drop column", "users.email", "destructive"),
        (
            "ALTER TABLE users DROP COLUMN IF EXISTS email",
            "drop column",
            "users.email",
            "destructive",
        ),
        ("ALTER TABLE t DROP CONSTRAINT t_pkey", "drop constraint", "t.t_pkey", "review"),
        ("ALTER TABLE users RENAME TO customers", "rename table", "users", "review"),
        ("ALTER TABLE users RENAME COLUMN email TO mail", "rename column", "users.email", "review"),
        ("CREATE OR REPLACE TABLE t (a INT)", "replace table", "t", "destructive"),
        (
            "WITH gone AS (DELETE FROM sessions RETURNING id) SELECT count(*) FROM gone",
            "delete all rows",
            "sessions",
            "destructive",
        ),
    ],
)
def test_destructive_statement_is_found(sql: str, action: str, target: str, severity: str) -> None:
    [finding] = analyze_sql(sql, "m.sql")
    assert (finding.line, finding.action, finding.target, finding.severity) == (
        1,
        action,
        target,
        severity,
    )
    assert finding.kind == "database"
    assert finding.source == "m.sql"
    assert finding.stateful == (severity == "destructive")
    assert finding.reason.endswith(".")


# One case per entry of the DROP table (each kind's own severity and explanation).
DROP_CASES = [
    ("TABLE", "DROP TABLE t"),
    ("SCHEMA", "DROP SCHEMA s"),
    ("DATABASE", "DROP DATABASE d"),
    ("COLUMN", "ALTER TABLE t DROP COLUMN c"),
    ("TEMPORARY TABLE", "DROP TEMPORARY TABLE scratch"),
    ("CONSTRAINT", "ALTER TABLE t DROP CONSTRAINT k"),
    ("VIEW", "DROP VIEW v"),
    ("MATERIALIZED VIEW", "DROP MATERIALIZED VIEW m"),
    ("INDEX", "DROP INDEX i"),
]


@pytest.mark.parametrize(("kind", "sql"), DROP_CASES)
def test_every_drop_kind_in_the_table(kind: str, sql: str) -> None:
    severity, stateful, effect = DROP_EFFECTS[kind]
    [finding] = analyze_sql(sql, "m.sql", "mysql" if kind == "TEMPORARY TABLE" else None)
    assert (finding.action, finding.severity, finding.stateful) == (
        f"drop {kind.lower()}",
        severity,
        stateful,
    )
    assert effect in finding.reason


def test_the_drop_table_has_a_case_per_entry() -> None:
    assert {kind for kind, _ in DROP_CASES} == set(DROP_EFFECTS)


def test_cascade_is_explained() -> None:
    [finding] = analyze_sql("DROP SCHEMA billing CASCADE", "m.sql")
    assert "CASCADE also drops every object that depends on it" in finding.reason


def test_always_true_where_is_quoted_in_the_reason() -> None:
    [finding] = analyze_sql("DELETE FROM users WHERE 1 = 1", "m.sql")
    assert finding.reason == (
        "DELETE FROM users has a WHERE clause that is always true (1 = 1): it deletes every row."
    )


# Hard negatives: harmless statements, and destructive words that are not code.


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE t ADD COLUMN c int NULL",
        "CREATE TABLE t (id int PRIMARY KEY, note text DEFAULT 'DROP TABLE t')",
        "CREATE INDEX idx ON t (c)",
        "CREATE VIEW v AS SELECT 1",
        "INSERT INTO t (id) VALUES (1)",
        "DELETE FROM t WHERE id = 1",
        "DELETE FROM t WHERE id IN (SELECT id FROM u)",
        "UPDATE t SET c = 1 WHERE id = 1",
        "UPDATE t SET c = u.c FROM u WHERE t.id = u.id",
        "DELETE FROM t USING u WHERE t.uid = u.id",
        "WITH old AS (SELECT id FROM t WHERE at < now()) "
        "DELETE FROM t WHERE id IN (SELECT id FROM old)",
        "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
        "COMMENT ON TABLE t IS 'DROP TABLE t'",
        "GRANT SELECT ON t TO reader",
        "BEGIN; COMMIT;",
        "-- DROP TABLE x",
        "-- DROP TABLE x\nSELECT 1",
        "/* DROP TABLE x; */ SELECT 1",
        "SELECT 'DROP TABLE x'",
        "SELECT 'it''s; DROP TABLE y; --'",
        'SELECT "DROP TABLE x" FROM t',
        "",
        ";;",
        "  \n  ",
    ],
)
def test_harmless_sql_has_no_findings(sql: str) -> None:
    assert analyze_sql(sql, "m.sql") == []


# A real migration file: every finding on the line its statement starts.

MIGRATION = textwrap.dedent(
    """\
    -- 20240101_reshape_orders.sql
    -- Drops the legacy table; the DROP TABLE in this comment must not count.
    BEGIN;

    CREATE TABLE order_items (
        id bigserial PRIMARY KEY,
        order_id bigint NOT NULL REFERENCES orders (id),
        note text DEFAULT 'DROP TABLE orders; -- not code'
    );

    INSERT INTO order_items (order_id)
    SELECT id FROM orders WHERE created_at > now() - interval '1 day';

    /* a block comment
       TRUNCATE orders; */
    ALTER TABLE orders DROP COLUMN legacy_total;

    DELETE FROM audit_log;

    UPDATE orders
       SET status = 'archived'
     WHERE created_at < '2020-01-01';

    DROP TABLE legacy_orders; DROP VIEW legacy_report;
    UPDATE
      orders
      SET total = 0;
    COMMIT;
    """
)


def test_multi_statement_file_reports_each_statement_on_its_line() -> None:
    assert _summary(MIGRATION) == [
        (16, "drop column", "orders.legacy_total", "destructive"),
        (18, "delete all rows", "audit_log", "destructive"),
        (24, "drop table", "legacy_orders", "destructive"),
        (24, "drop view", "legacy_report", "review"),
        (25, "update all rows", "orders", "destructive"),
    ]


def test_windows_line_endings_keep_lines_right() -> None:
    crlf = MIGRATION.replace("\n", "\r\n")
    assert [f.line for f in analyze_sql(crlf, "m.sql")] == [16, 18, 24, 24, 25]


# Fail closed: what sqlglot cannot parse is a "review" finding, never harmless, never a crash.


@pytest.mark.parametrize(
    ("sql", "dialect", "line", "says"),
    [
        ("SELEC * FROM t", None, 1, "as postgres SQL (near 'FROM')"),
        ("SELECT 1;\nALTER TABLE t DROP PARTITION p1", "mysql", 2, "as mysql SQL"),
        ("RENAME TABLE a TO b", "mysql", 1, "opaque RENAME command"),
        ("CREATE EXTENSION pgcrypto", "postgres", 1, "opaque CREATE command"),
        ("VACUUM", "sqlite", 1, "opaque VACUUM command"),
        ("SELECT 1;\n\nSELECT 'never closed\nDROP TABLE b;", None, 3, "from here to the end"),
        ("SELECT 1;\n/* never closed\nDROP TABLE b;", None, 2, "from here to the end"),
        ("SELECT " + "(" * 5000 + "1" + ")" * 5000, None, 1, "nests too deeply"),
    ],
)
def test_unparsable_sql_is_a_review_finding(
    sql: str, dialect: str | None, line: int, says: str
) -> None:
    findings = analyze_sql(sql, "m.sql", dialect)
    assert [(f.line, f.action, f.severity, f.stateful) for f in findings] == [
        (line, UNPARSED, "review", False)
    ]
    assert says in findings[0].reason
    assert findings[0].reason.endswith("review it by hand.")


def test_statements_before_an_unreadable_one_are_still_analyzed() -> None:
    sql = "DROP TABLE a;\nSELECT 'x\nDROP TABLE b;"
    assert _summary(sql) == [
        (1, "drop table", "a", "destructive"),
        (2, UNPARSED, "SELECT 'x DROP TABLE b;", "review"),
    ]


@pytest.mark.parametrize(
    "sql",
    ["DELETE SET ; x JOIN", "UPDATE SELECT 1=1 UPDATE", "\x00\x01", "'", "$$", "/*!", "`", '"'],
)
def test_garbage_never_crashes(sql: str) -> None:
    for dialect in (None, "postgres", "mysql", "sqlite", "tsql"):
        findings = analyze_sql(sql, "m.sql", dialect)
        assert all(f.kind == "database" and f.source == "m.sql" for f in findings)


def test_analysis_writes_nothing_to_the_terminal() -> None:
    # sqlglot warns through logging when it falls back to an opaque command.
    code = "from handrail.blast.sql import analyze_sql; analyze_sql('CREATE EXTENSION x', 'f')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (proc.stdout, proc.stderr) == ("", "")


# Dialect quirks.


def test_postgres_function_body_is_a_string_but_a_do_block_runs() -> None:
    body = "CREATE FUNCTION purge() RETURNS void AS $$ DELETE FROM sessions; $$ LANGUAGE sql"
    assert analyze_sql(body, "m.sql", "postgres") == []  # defines, does not run
    [finding] = analyze_sql("DO $$ BEGIN DROP TABLE x; END $$", "m.sql", "postgres")
    assert (finding.action, finding.severity) == (UNPARSED, "review")
    assert finding.target.startswith("DO $$ BEGIN DROP TABLE x")


def test_mysql_hash_comments_and_backticks() -> None:
    assert analyze_sql("# DROP TABLE x\nSELECT 1", "m.sql", "mysql") == []
    assert _summary("DELETE FROM `order items`", "mysql") == [
        (1, "delete all rows", "`order items`", "destructive")
    ]


def test_without_a_dialect_the_one_that_parses_wins() -> None:
    hashed = "# DROP TABLE x\nSELECT 1"
    assert _summary(hashed, "postgres") == [(1, UNPARSED, "# DROP TABLE x SELECT 1", "review")]
    assert analyze_sql(hashed, "m.sql") == []  # read as MySQL, where # starts a comment


def test_mysql_multi_table_delete_restricted_by_an_inner_join() -> None:
    inner = "DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id"
    assert analyze_sql(inner, "m.sql", "mysql") == []
    outer = "DELETE t1 FROM t1 LEFT JOIN t2 ON t1.id = t2.id"  # keeps every t1 row: all deleted
    assert _summary(outer, "mysql") == [(1, "delete all rows", "t1", "destructive")]


def test_mysql_executable_comments_are_read_as_sql() -> None:
    sql = textwrap.dedent(
        """\
        SELECT 1;
        /*!40101 SET NAMES utf8 */;
        /*!50001 DROP TABLE legacy */;
        /* !DROP TABLE not_executable */
        SELECT 2;
        /*M!100101
          TRUNCATE sessions */;
        """
    )
    expected = [
        (3, "drop table", "legacy", "destructive"),
        (7, "truncate", "sessions", "destructive"),
    ]
    assert _summary(sql, "mysql") == expected
    assert _summary(sql) == expected  # whatever dialect parses it, /*! ... */ runs on MySQL
    assert analyze_sql(sql, "m.sql", "postgres") == []  # PostgreSQL never runs comments


def test_sqlite_quoted_names() -> None:
    assert _summary('DROP TABLE IF EXISTS "user data"', "sqlite") == [
        (1, "drop table", '"user data"', "destructive")
    ]


def test_unknown_dialect_is_an_input_error() -> None:
    with pytest.raises(HandrailError, match=r"^m\.sql: dialect: Unknown dialect 'postgress'"):
        analyze_sql("SELECT 1", "m.sql", "postgress")


# Which paths are migrations a forward deploy runs.


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("db/schema.sql", "forward"),
        ("migrations/0001_init.SQL", "forward"),
        ("db/migration/V1__create_users.sql", "forward"),
        ("db/migration/V2.1__add_index.sql", "forward"),
        ("db/migration/R__refresh_views.sql", "forward"),
        ("migrations/000001_create_users.up.sql", "forward"),
        ("migrations/2024-01-01-000000_create_users/up.sql", "forward"),
        ("migrations/teardown.sql", "forward"),  # not a ".down.sql": runs forward
        ("migrations/000001_create_users.down.sql", "rollback"),
        ("migrations/20240101_create_users.DOWN.sql", "rollback"),
        ("migrations/2024-01-01-000000_create_users/down.sql", "rollback"),
        ("db/migration/U1__create_users.sql", "rollback"),
        ("db\\migration\\U1_1__create_users.sql", "rollback"),
        ("db/migrate/20240101_create_users.rb", None),
        ("schema.sql.orig", None),
        ("README.md", None),
    ],
)
def test_migration_role(path: str, role: str | None) -> None:
    assert migration_role(path) == role
    assert is_migration(path) == (role == "forward")
