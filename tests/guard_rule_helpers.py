"""Helpers shared by the guard's rule-family tests: an invocation from shell words, one family's
verdict on it (checking its rule id is declared), and the decision of a verdict."""

from __future__ import annotations

import shlex
from types import ModuleType

from handrail.guard.model import GuardContext, Invocation, Verdict


def invocation(command: str, env: dict[str, str] | None = None, **fields: object) -> Invocation:
    """The words a shell would pass; `env` are `NAME=value` assignments for this program."""
    fields.setdefault("assignments", tuple((env or {}).items()))
    return Invocation(tuple(shlex.split(command)), command, **fields)  # type: ignore[arg-type]


def judge_with(
    family: ModuleType, command: str, context: GuardContext, **fields: object
) -> Verdict | None:
    """One family's verdict on `command`; keyword `env` sets variables, others are Invocation
    fields (stdin_text, upstream…)."""
    verdict: Verdict | None = family.judge(invocation(command, **fields), context)  # type: ignore[arg-type]
    # Every rule id is listed, so `[guard]` overrides in handrail.toml can name it.
    assert verdict is None or verdict.rule in family.RULES
    return verdict


def decision(verdict: Verdict | None) -> str | None:
    return verdict.decision if verdict else None
