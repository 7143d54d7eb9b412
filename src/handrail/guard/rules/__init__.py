"""The rule families: one module per tool family, all speaking one small protocol.

Each module has:

* `FAMILY: str` — its name, the prefix of its rule ids;
* `judge(invocation, context) -> Verdict | None` — the strictest thing it has to say about one
  unwrapped program invocation, or None;
* optionally `RULES: dict[str, str]` — its rule ids and what each catches, so `[guard]`
  overrides in handrail.toml can be checked for typos.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from handrail.guard.model import SEVERITY, Verdict

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import ModuleType

FAMILIES = (
    "filesystem",
    "git",
    "secrets",
    "bypass",
    "terraform",
    "kubernetes",
    "cloud",
    "database",
)


def load(name: str) -> ModuleType:
    return importlib.import_module(f"handrail.guard.rules.{name}")


def strictest(verdicts: Iterable[Verdict | None]) -> Verdict | None:
    """The most severe verdict; the first one among equals (the order rules are written in)."""
    best: Verdict | None = None
    for verdict in verdicts:
        if verdict is not None and (
            best is None or SEVERITY[verdict.decision] > SEVERITY[best.decision]
        ):
            best = verdict
    return best
