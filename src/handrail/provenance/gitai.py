"""git-ai's authorship log (Git AI Standard v3.0.0), as stored under refs/notes/ai.

    src/main.rs                                   a file path (quoted if it has spaces)
      s_c9883b05a2487d::t_9f8e7d6c5b4a32 1-10,15  an AI session::trace key, then its lines
      h_31dce776f88375 42-50                      a known human's key, then their lines
      abcd1234abcd1234 25,30-35                   a legacy (pre-1.4) AI prompt key
    ---
    {"schema_version": "authorship/3.0.0", "prompts": {...}, "sessions": {...}, "humans": {...}}

Keys route by prefix: `s_` to `sessions` (by the part before `::`), `h_` to `humans`, others to
`prompts`; each AI record names its agent in `agent_id.tool` and `agent_id.model`. Lines that
no key covers are "untracked": git-ai does not know who wrote them.
"""

from __future__ import annotations

import json
from typing import Any

from handrail.provenance.attribution import LineAttribution, NoteError, Tally
from handrail.provenance.registry import registry

DIVIDER = "---"
SCHEMA = "authorship/3."  # any 3.x: minor versions only add optional fields
_SESSION, _HUMAN, _TRACE = "s_", "h_", "::"


def is_git_ai(text: str) -> bool:
    return DIVIDER in text.split("\n")


def parse_git_ai(text: str) -> LineAttribution:
    lines = text.split("\n")
    if DIVIDER not in lines:
        raise NoteError(f"no `{DIVIDER}` line between the attestations and the metadata")
    divider = lines.index(DIVIDER)
    metadata = _metadata("\n".join(lines[divider + 1 :]), first_line=divider + 2)
    tally = Tally()
    path: str | None = None
    for number, line in enumerate(lines[:divider], start=1):
        if not line.strip():
            continue
        if not line[0].isspace():
            path = line[1:-1] if len(line) > 1 and line[0] == line[-1] == '"' else line
            continue
        key, _, ranges = line[2:].partition(" ")
        if path is None or not line.startswith("  ") or not key or line[2].isspace():
            raise NoteError(f"line {number}: not an attestation (two spaces, key, line ranges)")
        count = _count_lines(ranges, number)
        if key.startswith(_HUMAN):
            tally.human_lines += count
        else:
            tool, model = _agent(metadata, key)
            tally.add_ai(tool, model, path, count)
    return tally.result("git-ai")


def _count_lines(spec: str, number: int) -> int:
    total = 0
    for part in spec.split(","):
        start, dash, end = part.partition("-")
        if not _digits(start) or (dash and not _digits(end)):
            raise NoteError(f"line {number}: {spec!r} is not a list of line ranges")
        first, last = int(start), int(end) if dash else int(start)
        if first < 1 or last < first:
            raise NoteError(f"line {number}: {part!r} is not a range of lines from 1")
        total += last - first + 1
    return total


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _metadata(text: str, first_line: int) -> dict[str, Any]:
    try:
        metadata = json.loads(text)
    except json.JSONDecodeError as exc:
        line = first_line + exc.lineno - 1
        raise NoteError(f"line {line}: the metadata is not JSON ({exc.msg})") from exc
    if not isinstance(metadata, dict):
        raise NoteError("the metadata is not a JSON object")
    version = metadata.get("schema_version")
    if not isinstance(version, str) or not version.startswith(SCHEMA):
        raise NoteError(f"metadata field `schema_version`: {version!r} is not {SCHEMA}x")
    for name, required in (("prompts", True), ("sessions", False), ("humans", False)):
        if (required or name in metadata) and not isinstance(metadata.get(name), dict):
            raise NoteError(f"metadata field `{name}`: expected an object")
    return metadata


def _agent(metadata: dict[str, Any], key: str) -> tuple[str | None, str | None]:
    """The tool and model behind an AI key; (None, None) when the note has no record of it."""
    if key.startswith(_SESSION):
        section, record_key = "sessions", key.partition(_TRACE)[0]
    else:
        section, record_key = "prompts", key
    record = metadata.get(section, {}).get(record_key)
    if record is None:
        return None, None  # still AI by its key's form, just not said which tool
    agent = record.get("agent_id") if isinstance(record, dict) else None
    if not isinstance(agent, dict):
        raise NoteError(f"metadata field `{section}.{record_key}.agent_id`: expected an object")
    tool, model = agent.get("tool"), agent.get("model")
    for name, value in (("tool", tool), ("model", model)):
        if value is not None and not isinstance(value, str):
            raise NoteError(f"metadata field `{section}.{record_key}.agent_id.{name}`: not text")
    return (registry().agent_name(tool) if tool else None), model
