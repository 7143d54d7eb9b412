"""Databases: the SQL, Redis and MongoDB commands clients would run, and tools that drop whole
databases, weighed by the database they target.

The family only dispatches; each job has its module:

* `sql_clients` — psql, mysql, sqlite3… command lines: their SQL and their target;
* `sql_verdicts` — the SQL itself (sqlglot): DROP, TRUNCATE, DELETE/UPDATE of every row;
* `datastores` — redis-cli and the MongoDB shell;
* `database_tools` — dropdb, mysqladmin drop, pg_restore --clean, Docker volumes, framework
  tasks (rails db:drop, manage.py flush, prisma migrate reset).

A destructive statement is `deny`, lowered to `ask` when the target is clearly throwaway (a
dev/test database name, an SQLite file that does not exist yet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.guard.context import for_invocation
from handrail.guard.rules import database_tools, datastores, sql_clients, sql_verdicts
from handrail.guard.rules.sql_verdicts import judge_sql

if TYPE_CHECKING:
    from handrail.guard.model import GuardContext, Invocation, Verdict

__all__ = ["FAMILY", "RULES", "judge", "judge_sql"]
FAMILY = "database"
RULES = {
    **sql_verdicts.RULES,
    **sql_clients.RULES,
    **datastores.RULES,
    **database_tools.RULES,
}
_SHELLS = {
    "redis-cli": datastores.judge_redis,
    "valkey-cli": datastores.judge_redis,
    "mongo": datastores.judge_mongo,
    "mongosh": datastores.judge_mongo,
}


def judge(invocation: Invocation, context: GuardContext) -> Verdict | None:
    context = for_invocation(context, invocation)
    program = invocation.program
    if program in sql_clients.PROGRAMS:
        return sql_clients.judge_client(invocation, context)
    handler = _SHELLS.get(program) or database_tools.TOOLS.get(program)
    if handler is not None:
        return handler(invocation, context)
    return database_tools.framework_task(invocation, context)
