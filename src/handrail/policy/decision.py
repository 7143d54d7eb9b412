"""The gate's verdict: pass, needs approval, or block, with the reasons in plain words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from handrail.policy.controls import RequiredControl

Decision = Literal["pass", "needs_approval", "block"]


def decide(controls: Sequence[RequiredControl]) -> tuple[Decision, list[str]]:
    """Block if a blocking rule fires; else needs approval while any control is unmet."""
    reasons = []
    for control in controls:
        scope = f" for {control.component}" if control.component else ""
        state = "met" if control.satisfied else "NOT met"
        reasons.append(f"{control.rule}{scope}: {state} — {control.description} ({control.why})")
    if any(c.block for c in controls):
        return "block", reasons
    if any(not c.satisfied for c in controls):
        return "needs_approval", reasons
    return "pass", reasons or ["no rule requires a control for this change"]
