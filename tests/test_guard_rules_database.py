"""The database rule family: SQL, Redis and MongoDB commands, with benign look-alikes.

SQL files, heredocs and pipelines are real files and real `Invocation` fields; the SQLite
database of the existing-file case is a real one made with the standard library.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from guard_rule_helpers import decision, invocation, judge_with
from handrail.guard.context import load_context
from handrail.guard.model import GuardContext
from handrail.guard.rules import database
from handrail.guard.rules.database import judge_sql


@pytest.fixture
def context(tmp_path: Path) -> GuardContext:
    return load_context(str(tmp_path), {"HOME": str(tmp_path)})


CASES = [
    # psql
    ('psql -c "SELECT 1"', None),
    ('psql -d prod -c "select * from users where id = 1"', None),
    ('psql -c "DROP TABLE users"', "deny"),
    ('psql -d app_dev -c "DROP TABLE users"', "ask"),
    ('psql -d test -c "DROP TABLE users"', "ask"),
    ('psql postgresql://app@db.prod.internal/shop -c "TRUNCATE orders"', "deny"),
    ('psql -tAc "DELETE FROM sessions"', "deny"),
    ('psql -c "DELETE FROM sessions WHERE expires_at < now()"', None),
    ('psql -c "UPDATE users SET admin = true"', "deny"),
    ('psql -c "UPDATE users SET admin = true WHERE id = 7"', None),
    ('psql -c "DROP INDEX idx_users_email"', "ask"),
    ("psql -c 'EXPLAIN DELETE FROM users WHERE id = 1'", None),  # plans, runs nothing
    ("psql -c 'EXPLAIN ANALYZE DELETE FROM users'", "ask"),  # ANALYZE runs it
    ('psql -c "ALTER TABLE users RENAME TO people"', "ask"),
    ('psql --command="DROP SCHEMA billing CASCADE"', "deny"),
    ('psql -c "-- DROP TABLE users\nSELECT 1"', None),  # a comment is not a statement
    ("psql -d shop", None),  # an interactive session: nothing to read yet
    ('psql -c "\\dt"', None),  # psql's own commands are not SQL
    ('psql -d shop -c "\\l+"', None),
    ('psql -c "\\! rm -rf /tmp/x"', "ask"),
    # mysql / mariadb
    ('mysql -e "DROP DATABASE shop"', "deny"),
    ('mysql -uroot -psecret shop -e "SHOW TABLES"', None),
    ('mysql --execute="TRUNCATE TABLE logs"', "deny"),
    ('mariadb -e "SELECT * FROM orders LIMIT 5" shop', None),
    # sqlite3 / duckdb
    ('sqlite3 app.db "SELECT count(*) FROM t"', None),
    ('sqlite3 prod.db "DROP TABLE t"', "deny"),
    ('sqlite3 new.db "DROP TABLE t"', "ask"),  # a file that does not exist yet
    ('sqlite3 :memory: "DROP TABLE t"', "ask"),
    ('duckdb analytics.duckdb "SELECT 42"', None),
    # other SQL clients
    ('clickhouse-client --query "DROP TABLE events"', "deny"),
    ('clickhouse-client --query "SELECT count() FROM events"', None),
    ('clickhouse client -q "TRUNCATE TABLE events"', "deny"),
    ('cockroach sql -e "DROP DATABASE bank"', "deny"),
    ('cockroach sql -e "SHOW DATABASES"', None),
    ('sqlcmd -S db -Q "DROP TABLE dbo.users"', "deny"),
    # text that mentions SQL is not SQL that runs
    ('echo "DROP TABLE users"', None),
    ('grep -r "DROP TABLE" migrations/', None),
    # whole databases
    ("dropdb shop", "deny"),
    ("dropdb --if-exists shop_test", "ask"),
    ("dropdb --help", None),
    ("pg_dropcluster 15 main", "deny"),
    ("mysqladmin -uroot drop shop", "deny"),
    ("mysqladmin -uroot status", None),
    ("dropuser alice", "ask"),
    ("pg_restore --clean -d shop backup.dump", "ask"),
    ("pg_restore -l backup.dump", None),
    # redis
    ("redis-cli FLUSHALL", "deny"),
    ("redis-cli -n 2 flushdb", "deny"),
    ("redis-cli -h cache.dev.local flushall", "ask"),
    ("redis-cli -u redis://cache.prod.internal:6379 FLUSHALL", "deny"),
    ("redis-cli GET session:1", None),
    ("redis-cli DEL session:1", None),
    ("redis-cli CONFIG GET maxmemory", None),
    ("redis-cli CONFIG SET maxmemory 1gb", "ask"),
    ("redis-cli SHUTDOWN", "ask"),
    ("redis-cli --scan --pattern 'user:*'", None),
    # framework tasks
    ("bundle exec rails db:drop DISABLE_DATABASE_ENVIRONMENT_CHECK=1", "ask"),
    ("rails db:drop", "ask"),  # Rails defaults to development
    ("rails db:reset RAILS_ENV=production", "deny"),
    ("rake db:schema:load RAILS_ENV=test", "ask"),
    ("rails db:migrate", None),
    ("rails db:migrate RAILS_ENV=production", None),
    ("python manage.py flush --noinput", "deny"),
    ("python manage.py flush --settings=shop.settings.dev", "ask"),
    ("python manage.py migrate", None),
    ("python manage.py flush --help", None),
    ("npx prisma migrate reset --force", "ask"),
    ("npx prisma migrate dev", None),
    ("prisma db push --force-reset", "ask"),
    # containerised databases keep their data in volumes
    ("docker volume rm pgdata", "ask"),
    ("docker system prune -a --volumes -f", "ask"),
    ("docker system prune -f", None),
    ("docker compose down -v", "ask"),
    ("docker compose down", None),
    ("docker volume ls", None),
    # mongo
    ('mongosh --eval "db.dropDatabase()"', "deny"),
    ('mongosh shop --eval "db.orders.drop()"', "deny"),
    ("mongosh shop --eval \"db.getCollection('orders').drop()\"", "deny"),
    ('mongosh shop --eval "db.orders.deleteMany({})"', "deny"),
    ('mongo shop --eval "db.orders.remove({})"', "deny"),
    ("mongosh shop --eval \"db.orders.deleteMany({status: 'void'})\"", None),
    ("mongosh shop --eval 'db.orders.updateMany({}, {$set: {seen: true}})'", "deny"),
    ('mongosh shop --eval "db.orders.find({}).limit(5)"', None),
    ('mongosh mongodb://dev-db:27017/shop --eval "db.dropDatabase()"', "ask"),
    ('mongosh --eval "db.dropDatabase("', "ask"),
]


@pytest.mark.parametrize(("command", "expected"), CASES)
def test_database(command: str, expected: str | None, context: GuardContext) -> None:
    assert decision(judge_with(database, command, context)) == expected


def test_reason_names_the_statement_and_the_target(context: GuardContext) -> None:
    verdict = judge_with(database, 'psql -h db.live.example.com -c "DROP TABLE orders"', context)
    assert verdict is not None and verdict.rule == "database.sql-drop-table"
    assert "DROP TABLE orders deletes the table and every row in it" in verdict.reason
    assert "host 'db.live.example.com'" in verdict.reason
    assert "sent by `psql`" in verdict.reason


def test_reason_names_every_statement_up_to_three(context: GuardContext) -> None:
    sql = "; ".join(f"DROP TABLE t{n}" for n in range(5))
    verdict = judge_with(database, f"psql -c '{sql}'", context)
    assert verdict is not None
    assert all(f"DROP TABLE t{n} deletes the table" in verdict.reason for n in range(3))
    assert "DROP TABLE t3" not in verdict.reason and "(and 2 more)" in verdict.reason


def test_pgdatabase_variable_is_the_target(context: GuardContext) -> None:
    truncate = invocation('psql -c "TRUNCATE t"', env={"PGDATABASE": "shop_dev"})
    verdict = database.judge(truncate, context)
    assert verdict is not None and verdict.decision == "ask"
    assert "PGDATABASE" not in context.env  # the assignment is the invocation's alone


def test_framework_environment_from_variables(context: GuardContext) -> None:
    drop = invocation("bundle exec rails db:drop", env={"RAILS_ENV": "production"})
    verdict = database.judge(drop, context)
    assert verdict is not None and verdict.decision == "deny"
    assert "RAILS_ENV 'production'" in verdict.reason
    url = (("DATABASE_URL", "postgres://app@db.prod.internal/shop"),)
    prisma = database.judge(
        invocation("npx prisma migrate reset --force", assignments=url), context
    )
    assert prisma is not None and prisma.decision == "deny"


def test_framework_tasks_end_to_end(tmp_path: Path) -> None:
    from handrail.guard.engine import context_for, decide_command

    context = context_for(str(tmp_path), {"HOME": str(tmp_path)})
    command = "RAILS_ENV=production bundle exec rails db:drop DISABLE_DATABASE_ENVIRONMENT_CHECK=1"
    assert decide_command(command, context).decision == "deny"
    assert decide_command("bin/rails db:drop", context).decision == "ask"


def test_heredoc_and_here_string(context: GuardContext) -> None:
    heredoc = judge_with(
        database, "psql -d shop", context, stdin_text="BEGIN;\nDROP TABLE users;\nCOMMIT;\n"
    )
    assert heredoc is not None and heredoc.decision == "deny"
    harmless = judge_with(database, "psql -d shop", context, stdin_text="SELECT 1;\n")
    assert harmless is None


def test_pipeline_literals_feed_the_client(context: GuardContext, tmp_path: Path) -> None:
    echo = invocation('echo "DROP TABLE users"')
    assert decision(judge_with(database, "psql", context, upstream=(echo,))) == "deny"
    select = invocation('echo "SELECT 1"')
    assert judge_with(database, "psql", context, upstream=(select,)) is None
    printf = invocation(r"printf 'DELETE FROM %s;\n' sessions")
    assert decision(judge_with(database, "mysql shop", context, upstream=(printf,))) == "deny"
    (tmp_path / "cleanup.sql").write_text("DELETE FROM audit_log;\n")
    cat = invocation("cat cleanup.sql")
    assert decision(judge_with(database, "psql -d shop", context, upstream=(cat,))) == "deny"
    dump = invocation("pg_dump prod")
    restore = judge_with(database, "psql -d shop_copy", context, upstream=(dump,))
    assert restore is not None and restore.decision == "ask"
    assert "pg_dump prod" in restore.reason


def test_sql_files_are_read(context: GuardContext, tmp_path: Path) -> None:
    (tmp_path / "drop.sql").write_text("-- clean up\nDROP TABLE legacy_orders;\n")
    (tmp_path / "report.sql").write_text("SELECT count(*) FROM orders;\n")
    assert decision(judge_with(database, "psql -f drop.sql", context)) == "deny"
    assert judge_with(database, "psql -f report.sql", context) is None
    redirected = judge_with(database, "mysql shop", context, redirects=(("<", "drop.sql"),))
    assert redirected is not None and redirected.decision == "deny"
    missing = judge_with(database, "psql -f missing.sql", context)
    assert missing is not None and missing.decision == "ask"
    assert "missing.sql cannot be read" in missing.reason


def test_sqlite_dot_commands(context: GuardContext, tmp_path: Path) -> None:
    (tmp_path / "drop.sql").write_text("DROP TABLE t;")
    read = judge_with(database, "sqlite3 prod.db", context, stdin_text=".read drop.sql\n")
    assert read is not None and read.decision == "deny"
    shell = judge_with(database, "sqlite3 app.db", context, stdin_text=".shell rm -rf /\n")
    assert shell is not None and shell.decision == "ask" and ".shell" in shell.reason
    assert judge_with(database, "sqlite3 app.db", context, stdin_text=".tables\n.schema\n") is None


def test_existing_sqlite_file_under_tmp_is_throwaway(context: GuardContext, tmp_path: Path) -> None:
    path = tmp_path / "scratch.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    verdict = judge_with(database, f'sqlite3 {path} "DROP TABLE t"', context)
    assert verdict is not None and verdict.decision == "ask"
    assert str(path) in verdict.reason


def test_sql_built_at_run_time_asks(context: GuardContext) -> None:
    verdict = judge_with(database, 'psql -c "$SQL"', context, unresolved=frozenset({2}))
    assert verdict is not None and verdict.decision == "ask"
    assert verdict.rule == "database.unreadable-input"


def test_redis_commands_from_stdin_and_bulk_deletes(context: GuardContext) -> None:
    heredoc = judge_with(database, "redis-cli", context, stdin_text="SET a 1\nFLUSHALL\n")
    assert heredoc is not None and heredoc.decision == "deny"
    scan = invocation("redis-cli --scan --pattern 'user:*'")
    bulk = judge_with(database, "redis-cli del", context, upstream=(scan,), via=("xargs",))
    assert bulk is not None and bulk.decision == "ask"
    assert bulk.rule == "database.redis-bulk-delete"


def test_mongo_script_files(context: GuardContext, tmp_path: Path) -> None:
    (tmp_path / "cleanup.js").write_text("// nightly\ndb.getSiblingDB('shop').dropDatabase();\n")
    (tmp_path / "report.js").write_text("printjson(db.orders.countDocuments({}));\n")
    assert decision(judge_with(database, "mongosh shop cleanup.js", context)) == "deny"
    assert judge_with(database, "mongosh shop report.js", context) is None
    heredoc = judge_with(database, "mongosh shop", context, stdin_text="db.orders.drop()\n")
    assert heredoc is not None and heredoc.decision == "deny"


def test_judge_sql_for_tools(context: GuardContext) -> None:
    dropped = judge_sql("DROP TABLE users", context)
    assert dropped is not None and dropped.decision == "deny"
    # The reason starts with the statement and its table, and says what is lost.
    assert dropped.reason.startswith("DROP TABLE users deletes the table and every row in it")
    assert judge_sql("SELECT * FROM users WHERE id = 1", context) is None
    broken = judge_sql("SELECT * FROM", context)
    assert broken is not None and broken.decision == "ask"
    assert broken.rule == "database.sql-unparsed"


def test_heavy_modules_load_only_when_needed() -> None:
    # The hook starts a process per call: sqlglot, PyYAML and tree-sitter must stay unloaded
    # for commands that do not need them.
    script = """
import sys
from handrail.guard.context import load_context
from handrail.guard.model import Invocation
from handrail.guard.rules import cloud, database, kubernetes, terraform
context = load_context("/", {"HOME": "/nonexistent"})
for argv in (("redis-cli", "FLUSHALL"), ("kubectl", "delete", "ns", "x"),
             ("aws", "s3", "rb", "s3://b"), ("terraform", "destroy"), ("psql",)):
    for family in (cloud, database, kubernetes, terraform):
        family.judge(Invocation(argv, " ".join(argv)), context)
loaded = sorted(m for m in ("sqlglot", "yaml", "tree_sitter_javascript") if m in sys.modules)
print(",".join(loaded))
database.judge(Invocation(("psql", "-c", "DROP TABLE t"), ""), context)
print("sqlglot" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["", "True"] or out == ["True"]
