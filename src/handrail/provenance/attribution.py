"""Line-level attribution read from a note, whatever tool wrote it."""

from __future__ import annotations

from dataclasses import dataclass, field


class NoteError(ValueError):
    """A note that is not what it claims to be; the message names the line or field."""


@dataclass(frozen=True)
class AgentLines:
    """The lines one AI tool wrote in one commit."""

    tool: str | None  # None: the note does not say which tool
    lines: int
    files: tuple[str, ...]
    models: tuple[str, ...]


@dataclass(frozen=True)
class LineAttribution:
    format: str  # "git-ai" or "Agent Trace"
    agents: tuple[AgentLines, ...]  # empty: the note attributes no line to AI
    human_lines: int  # lines the note attributes to a known human


@dataclass
class Tally:
    """Counts lines per AI tool while a parser walks a note."""

    human_lines: int = 0
    _lines: dict[str | None, int] = field(default_factory=dict)
    _files: dict[str | None, dict[str, None]] = field(default_factory=dict)
    _models: dict[str | None, dict[str, None]] = field(default_factory=dict)

    def add_ai(self, tool: str | None, model: str | None, path: str, lines: int) -> None:
        self._lines[tool] = self._lines.get(tool, 0) + lines
        self._files.setdefault(tool, {})[path] = None
        if model:
            self._models.setdefault(tool, {})[model] = None

    def result(self, note_format: str) -> LineAttribution:
        agents = tuple(
            AgentLines(tool, lines, tuple(self._files[tool]), tuple(self._models.get(tool, ())))
            for tool, lines in self._lines.items()
            if lines
        )
        return LineAttribution(note_format, agents, self.human_lines)
