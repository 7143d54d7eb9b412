"""What detectors report, and the small protocol every detector follows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from handrail.model import Commit

Strength = Literal["strong", "medium", "weak"]
STRENGTHS: tuple[Strength, ...] = ("strong", "medium", "weak")  # strongest first


@dataclass(frozen=True)
class Evidence:
    """One signal found in one commit, pointing to AI assistance or to a human."""

    commit: str
    signal: str  # the detector's name for it, e.g. "trailer"
    tool: str | None  # the AI tool it names, when it names one
    detail: str  # what was found, as written
    strength: Strength
    points_to: Literal["ai", "human"] = "ai"


@dataclass(frozen=True)
class Unreadable:
    """Something that looked like a signal but could not be read, so it was not counted."""

    commit: str
    signal: str
    detail: str


def weaker(strength: Strength) -> Strength:
    """One step down: the same signal found where it is less trustworthy."""
    return STRENGTHS[min(STRENGTHS.index(strength) + 1, len(STRENGTHS) - 1)]


def strongest(strengths: list[Strength]) -> Strength:
    return min(strengths, key=STRENGTHS.index)


def weakest(strengths: list[Strength]) -> Strength:
    return max(strengths, key=STRENGTHS.index)


class Detector(Protocol):
    """One signal of AI assistance (pre-commit's `Language` protocol is the model)."""

    # The signal's name, as evidence shows it.
    signal: str

    # How this signal can mislead; the output repeats it when a verdict rests on the signal.
    weakness: str

    # What one commit, and its attribution note (None when it has none), say about AI help.
    def detect(self, commit: Commit, note: str | None) -> Iterator[Evidence | Unreadable]: ...
