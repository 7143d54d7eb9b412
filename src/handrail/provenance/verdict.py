"""Evidence combined into one verdict, for a commit and for a change (a sequence of commits).

For a commit, in order: an explicit declaration decides; otherwise any AI evidence makes it
`ai`; an attribution note that gives AI no line makes it `human`; otherwise it is `unknown`,
because the absence of evidence is not evidence of a human. A change is `ai` if any of its
commits is, `human` only if every one is, and `unknown` otherwise. A declaration speaks for
its own commit: one commit's `AI-Assisted: no` does not clear another commit's evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from handrail.model import Commit
from handrail.provenance.declaration import Declaration
from handrail.provenance.evidence import Detector, Evidence, Strength, strongest, weakest
from handrail.provenance.identities import Identities
from handrail.provenance.notes import NOTES_REF, AttributionNotes
from handrail.provenance.stamps import Stamps
from handrail.provenance.trailers import SquashedTrailers, Trailers

Verdict = Literal["ai", "human", "unknown"]

DETECTORS: tuple[Detector, ...] = (
    Declaration(),
    Trailers(),
    SquashedTrailers(),
    Identities(),
    Stamps(),
    AttributionNotes(),
)
_WEAKNESSES = {detector.signal: detector.weakness for detector in DETECTORS}


@dataclass(frozen=True)
class Provenance:
    """Whether a commit or change was AI-assisted, by which tools, and on what evidence."""

    verdict: Verdict
    tools: tuple[str, ...]  # sorted, unique: the AI tools the evidence names
    evidence: tuple[Evidence, ...]  # everything found, including what the verdict outweighed
    strength: Strength | Literal["none"]  # of the evidence the verdict rests on
    caveats: tuple[str, ...]  # what the reader should know before trusting the verdict

    @property
    def ai_assisted(self) -> bool | None:
        """True or False when the evidence says so; None when it is unknown."""
        return None if self.verdict == "unknown" else self.verdict == "ai"


@dataclass(frozen=True)
class _Judged:
    verdict: Verdict
    basis: tuple[Evidence, ...]  # the evidence the verdict rests on
    evidence: tuple[Evidence, ...]
    caveats: tuple[str, ...]


def commit_provenance(commit: Commit, note: str | None = None) -> Provenance:
    """One commit's provenance; `note` is its attribution note (refs/notes/ai), if any."""
    return _combine([_judge(commit, note)], notes_found=bool(note and note.strip()))


def change_provenance(
    commits: Sequence[Commit], notes: Mapping[str, str] | None = None
) -> Provenance:
    """A change's provenance; `notes` maps commit ids to their attribution notes."""
    notes = notes or {}
    judged = [_judge(commit, notes.get(commit.sha)) for commit in commits]
    return _combine(judged, notes_found=any(notes.get(c.sha, "").strip() for c in commits))


def _judge(commit: Commit, note: str | None) -> _Judged:
    evidence: list[Evidence] = []
    caveats: list[str] = []
    for detector in DETECTORS:
        for found in detector.detect(commit, note):
            if isinstance(found, Evidence):
                evidence.append(found)
            else:
                caveats.append(f"{found.commit[:12]}: {found.detail}; not counted")
    declared = [e for e in evidence if e.signal == Declaration.signal]
    verdict: Verdict
    if declared:
        verdict = "ai" if any(e.points_to == "ai" for e in declared) else "human"
        basis = [e for e in declared if e.points_to == verdict]
        outweighed = sum(e.points_to != verdict for e in evidence)
        if outweighed:
            caveats.append(
                f"{commit.sha[:12]}: the declaration `{basis[0].detail}` outweighs "
                f"{outweighed} signal(s) pointing the other way"
            )
    elif basis := [e for e in evidence if e.points_to == "ai"]:
        verdict = "ai"
    elif basis := [e for e in evidence if e.points_to == "human"]:
        verdict = "human"
    else:
        verdict = "unknown"
    return _Judged(verdict, tuple(basis), tuple(evidence), tuple(caveats))


def _combine(judged: list[_Judged], notes_found: bool) -> Provenance:
    verdicts = [j.verdict for j in judged]
    verdict: Verdict
    if "ai" in verdicts:
        verdict = "ai"
    elif verdicts and all(v == "human" for v in verdicts):
        verdict = "human"
    else:
        verdict = "unknown"
    deciding = [j for j in judged if j.verdict == verdict and verdict != "unknown"]
    named = (e.tool for j in deciding for e in j.evidence if e.points_to == "ai")
    tools = sorted({tool for tool in named if tool}) if verdict == "ai" else []
    strength: Strength | Literal["none"] = "none"
    if verdict == "ai":
        strength = strongest([e.strength for j in deciding for e in j.basis])
    elif verdict == "human":
        # Every commit must be human: the change is only as sure as its least sure commit.
        strength = weakest([strongest([e.strength for e in j.basis]) for j in deciding])
    caveats = [c for j in judged for c in j.caveats]
    caveats += [_WEAKNESSES[e.signal] for j in deciding for e in j.basis]
    if verdict == "unknown":
        caveats.append(_unknown_caveat(verdicts))
    if not notes_found:
        caveats.append(
            f"no attribution notes ({NOTES_REF}) on these commits; a plain clone does not fetch "
            f"them: git fetch origin '{NOTES_REF}:{NOTES_REF}'"
        )
    return Provenance(
        verdict=verdict,
        tools=tuple(tools),
        evidence=tuple(e for j in judged for e in j.evidence),
        strength=strength,
        caveats=tuple(dict.fromkeys(caveats)),
    )


def _unknown_caveat(verdicts: list[Verdict]) -> str:
    if not verdicts:
        return "the change has no commits"
    silent = verdicts.count("unknown")
    return (
        f"{silent} of {len(verdicts)} commits carry no evidence either way; AI trailers and "
        "stamps are often stripped, so their absence does not show that a human wrote the code"
    )
