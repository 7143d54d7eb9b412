"""What a destructive-change analyzer reports: one finding per thing a change would destroy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DestructionKind = Literal["infrastructure", "database"]
# "destructive": state is lost (rows, a database, a bucket); "review": something breaks or
# disappears that a human should look at, but no data is lost with it.
Severity = Literal["destructive", "review"]


@dataclass(frozen=True, slots=True)
class Destruction:
    """One delete, replace, drop or unrestricted write, explained in one sentence."""

    kind: DestructionKind
    source: str  # the file (plan JSON, migration) the finding comes from
    line: int | None  # 1-based line in `source`; None when the format has no useful line
    target: str  # a resource address or a table (column, schema…) name
    action: str  # e.g. "delete-then-create", "forget", "drop table", "delete all rows"
    stateful: bool  # whether the target holds state that the action loses
    severity: Severity
    reason: str
