"""Agent Trace records (agent-trace.dev, v0.1): vendor-neutral line attribution in JSON.

A record lists `files`, each with the `conversations` that wrote its line `ranges`; the
contributor of a conversation (or of one range, overriding it) is `ai`, `mixed` (AI output a
human edited, or the reverse), `human` or `unknown`. The specification leaves storage open;
Handrail reads records attached to a commit as a git note, one JSON object or JSON Lines.
"""

from __future__ import annotations

import json
from typing import Any

from handrail.provenance.attribution import LineAttribution, NoteError, Tally
from handrail.provenance.registry import registry

CONTRIBUTORS = ("ai", "mixed", "human", "unknown")
_AI = frozenset({"ai", "mixed"})
_KINDS: dict[type, str] = {str: "text", list: "a list", dict: "an object", int: "an integer"}


def is_agent_trace(text: str) -> bool:
    return text.lstrip().startswith("{")


def parse_agent_trace(text: str) -> LineAttribution:
    tally = Tally()
    for where, record in _records(text):
        _record(record, where, tally)
    return tally.result("Agent Trace")


def _records(text: str) -> list[tuple[str, Any]]:
    """One pretty-printed record, or JSON Lines (one record a line, as the reference stores)."""
    try:
        return [("record", json.loads(text))]
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise NoteError(f"line {exc.lineno}: not JSON ({exc.msg})") from exc
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                records.append((f"record on line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise NoteError(f"line {number}: not JSON ({exc.msg})") from exc
    return records


def _field(container: Any, key: str, kind: type, path: str, required: bool = True) -> Any:
    value = container.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise NoteError(f"field `{path}`: expected {_KINDS[kind]}")
    return value


def _record(record: Any, where: str, tally: Tally) -> None:
    if not isinstance(record, dict):
        raise NoteError(f"{where}: not a JSON object")
    for key in ("version", "id", "timestamp"):
        _field(record, key, str, f"{where}.{key}")
    tool_info = _field(record, "tool", dict, f"{where}.tool", required=False) or {}
    name = _field(tool_info, "name", str, f"{where}.tool.name", required=False)
    tool = registry().agent_name(name) if name else None
    for i, entry in enumerate(_field(record, "files", list, f"{where}.files")):
        _file(_object(entry, f"{where}.files[{i}]"), f"{where}.files[{i}]", tool, tally)


def _file(entry: dict[str, Any], at: str, tool: str | None, tally: Tally) -> None:
    path = _field(entry, "path", str, f"{at}.path")
    for j, conversation in enumerate(_field(entry, "conversations", list, f"{at}.conversations")):
        conv_at = f"{at}.conversations[{j}]"
        default = _contributor(_object(conversation, conv_at), conv_at) or ("unknown", None)
        for k, span in enumerate(_field(conversation, "ranges", list, f"{conv_at}.ranges")):
            range_at = f"{conv_at}.ranges[{k}]"
            # A range may name its own contributor, e.g. when one agent handed over to another.
            kind, model = _contributor(_object(span, range_at), range_at) or default
            lines = _line_count(span, range_at)
            if kind in _AI:
                tally.add_ai(tool, model, path, lines)
            elif kind == "human":
                tally.human_lines += lines


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise NoteError(f"field `{path}`: expected an object")
    return value


def _contributor(holder: dict[str, Any], path: str) -> tuple[str, str | None] | None:
    contributor = _field(holder, "contributor", dict, f"{path}.contributor", required=False)
    if contributor is None:
        return None
    kind = contributor.get("type")
    if kind not in CONTRIBUTORS:
        raise NoteError(f"field `{path}.contributor.type`: {kind!r} is not one of {CONTRIBUTORS}")
    return kind, _field(contributor, "model_id", str, f"{path}.contributor.model_id", False)


def _line_count(span: dict[str, Any], path: str) -> int:
    start = _field(span, "start_line", int, f"{path}.start_line")
    end = _field(span, "end_line", int, f"{path}.end_line")
    if start < 1 or end < start:
        raise NoteError(f"field `{path}`: lines {start}-{end} are not a range from line 1")
    return end - start + 1
