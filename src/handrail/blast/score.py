"""A blast-radius score with the explanation of every point in it.

The weights are deliberately simple and visible: the score orders changes by reach, it does
not decide anything on its own (the policy does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Points for a component by tier (0 = most critical); unknown tiers count as tier 1, because
# a tier nobody set is no evidence of harmlessness.
_TIER_POINTS = {0: 40, 1: 20, 2: 5, 3: 1}
_UNKNOWN_TIER = 1
_DEPENDENT_SHARE = 0.5  # reached through imports: half the points of a direct change
_DESTRUCTIVE_POINTS = {"destructive": 50, "review": 10}
_SAFEGUARD_POINTS = 25


@dataclass(frozen=True)
class ScorePart:
    points: float
    why: str


def blast_score(
    components: Sequence[tuple[str, int | None, bool]],  # (name, tier, directly changed)
    destructive: Sequence[tuple[str, str]],  # (severity, reason)
    safeguards: Sequence[tuple[str, str]],  # (changed safeguard file, what it guards)
) -> tuple[float, list[ScorePart]]:
    """The total and its parts, largest first."""
    parts: list[ScorePart] = []
    for name, tier, direct in components:
        level = _UNKNOWN_TIER if tier is None else tier
        points = _TIER_POINTS[level] * (1 if direct else _DEPENDENT_SHARE)
        how = "changed" if direct else "reached through imports"
        label = "tier unknown, scored as tier 1" if tier is None else f"tier {tier}"
        parts.append(ScorePart(points, f"{name} ({label}) {how}"))
    for severity, reason in destructive:
        parts.append(ScorePart(_DESTRUCTIVE_POINTS[severity], reason))
    for path, guards in safeguards:
        parts.append(ScorePart(_SAFEGUARD_POINTS, f"changes a safeguard: {path} ({guards})"))
    parts.sort(key=lambda part: -part.points)
    return sum(part.points for part in parts), parts
