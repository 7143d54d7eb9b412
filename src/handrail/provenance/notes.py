"""Line-level attribution notes that attribution tools attach to commits.

git-ai writes its authorship logs under refs/notes/ai; Agent Trace records found there are read
too. A plain `git clone` fetches no notes: without `git fetch origin 'refs/notes/*:refs/notes/*'`
this signal is simply absent, which the verdict says.
"""

from __future__ import annotations

from collections.abc import Iterator

from handrail.model import Commit
from handrail.provenance.agent_trace import is_agent_trace, parse_agent_trace
from handrail.provenance.attribution import AgentLines, LineAttribution, NoteError
from handrail.provenance.evidence import Evidence, Unreadable
from handrail.provenance.gitai import is_git_ai, parse_git_ai

NOTES_REF = "refs/notes/ai"


def parse_note(text: str) -> LineAttribution:
    """A note's attribution, in whichever supported format it is written."""
    if is_git_ai(text):
        return parse_git_ai(text)
    if is_agent_trace(text):
        return parse_agent_trace(text)
    raise NoteError("neither a git-ai authorship log nor an Agent Trace record")


def _describe(note_format: str, agent: AgentLines) -> str:
    files = ", ".join(agent.files)
    models = f" (models: {', '.join(agent.models)})" if agent.models else ""
    return f"{note_format}: {agent.lines} lines in {files}{models}"


class AttributionNotes:
    signal = "attribution note"
    weakness = (
        "notes are fetched only on request, and history rewritten without the attribution "
        "tool leaves them behind"
    )

    def detect(self, commit: Commit, note: str | None) -> Iterator[Evidence | Unreadable]:
        if note is None or not note.strip():
            return
        try:
            attribution = parse_note(note)
        except NoteError as exc:
            yield Unreadable(commit.sha, self.signal, f"the {NOTES_REF} note is unreadable: {exc}")
            return
        for agent in attribution.agents:
            yield Evidence(
                commit.sha,
                self.signal,
                agent.tool,
                _describe(attribution.format, agent),
                "strong",
            )
        if not attribution.agents:
            # Untracked lines may still be an AI's that the tool did not see: not "strong".
            yield Evidence(
                commit.sha,
                self.signal,
                None,
                f"{attribution.format}: no line attributed to AI "
                f"({attribution.human_lines} to known humans)",
                "medium",
                "human",
            )
