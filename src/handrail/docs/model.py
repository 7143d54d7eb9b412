"""The plain data `handrail docs` passes around: references, verdicts, reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# What a doc names. `symbol` covers functions, classes, methods and modules.
Kind = Literal["path", "symbol", "flag", "command", "env", "config", "make", "link", "anchor"]
Verdict = Literal["missing", "removed", "renamed", "changed"]
Severity = Literal["error", "warning", "info"]

SEVERITY: dict[str, Severity] = {
    "missing": "error",
    "removed": "error",
    "renamed": "error",
    "changed": "info",
}


@dataclass(frozen=True)
class Reference:
    """One thing a doc names, where it names it.

    `name` is the normalized form looked up in the code (e.g. `pkg.mod.func` for `pkg.mod.func()`);
    `text` is what the doc shows. `program` is the command a flag or subcommand belongs to.
    `explicit` says the doc marks it as code of this kind (a Sphinx role, an import in a code
    block), as opposed to a bare word in backticks that merely looks like an identifier.
    """

    doc: str
    line: int
    text: str
    kind: Kind
    name: str
    program: str | None = None
    explicit: bool = False


@dataclass(frozen=True)
class StaleReference:
    """A reference that no longer matches the code, and the evidence for saying so."""

    doc: str
    line: int
    reference: str
    kind: Kind
    verdict: Verdict
    reason: str
    evidence_commit: str | None
    severity: Severity
    new_name: str | None = None


@dataclass
class DocFreshness:
    """One document's checked references and what share of them still hold (1.0 = all)."""

    doc: str
    references: int
    stale: int
    last_edit: str | None
    reviewed: str | None

    @property
    def score(self) -> float:
        return 1.0 if self.references == 0 else round(1 - self.stale / self.references, 3)


@dataclass
class DocsReport:
    """What `check_docs` found: stale references (sorted by doc and line) and per-doc scores."""

    rev: str
    stale: list[StaleReference] = field(default_factory=list)
    documents: list[DocFreshness] = field(default_factory=list)
