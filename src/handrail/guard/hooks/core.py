"""What every agent adapter shares: the tool call it reads, and how that call is judged.

An adapter turns the agent's JSON into a `ToolCall` (a shell command, the files a tool writes,
or an MCP tool call) and turns a `Verdict` back into the agent's answer. Everything between
the two, the engine's decision included, lives here, so the four protocols judge alike.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from handrail.guard.model import Verdict

if TYPE_CHECKING:
    from collections.abc import Mapping

    from handrail.guard.model import GuardContext

# How a deny-only protocol (Codex, Gemini) still lets a human say yes to an `ask`.
APPROVAL_HINT = (
    "A human must approve this: ask the user to run it themselves, or to allow the rule"
    ' in handrail.toml ([guard.decisions] "{rule}" = "allow"); do not retry it another way.'
)


class BadPayload(ValueError):
    """The agent sent something this adapter cannot read as one tool call."""


class McpCall(NamedTuple):
    server: str  # as the agent names it (Cursor gives the server's URL or command)
    tool: str  # the tool's own name on that server
    arguments: Mapping[str, Any] = MappingProxyType({})  # read-only: the default is shared


class ToolCall(NamedTuple):
    """One tool call, in the terms the engine judges; at most one of its kinds is set."""

    tool: str  # the agent's name for the tool
    command: str | None = None  # a shell command line
    paths: tuple[str, ...] = ()  # the files a file tool writes
    emptied: bool = False  # the file tool writes empty content: the file's rules are gone
    mcp: McpCall | None = None
    intent: str | None = None  # the agent's own description of what the call is for
    cwd: str | None = None  # where it runs, when the payload says
    # No human will see an `ask` (Claude Code's bypassPermissions mode runs the call anyway):
    # the adapter answers it as a deny that says how to approve.
    unattended: bool = False

    @property
    def subject(self) -> str:
        """What the decisions log records: the command, the files, or the MCP call."""
        if self.command is not None:
            return self.command
        if self.paths:
            return " ".join(self.paths)
        if self.mcp is not None:
            arguments = json.dumps(self.mcp.arguments, ensure_ascii=False, default=str)
            return f"{self.tool} {arguments}"
        return self.tool


def parse_payload(stdin_text: str) -> dict[str, Any]:
    """The one JSON object a hook receives on stdin."""
    try:
        payload = json.loads(stdin_text)
    except json.JSONDecodeError as error:
        raise BadPayload(
            f"stdin is not JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error
    if not isinstance(payload, dict):
        raise BadPayload(f"stdin holds a JSON {type(payload).__name__}, not an object")
    return payload


def require_event(payload: Mapping[str, Any], *events: str) -> str:
    """The payload's `hook_event_name`, which must be one this adapter answers."""
    event = payload.get("hook_event_name", events[0])
    if event not in events:
        raise BadPayload(
            f"hook_event_name is {event!r}; handrail guard answers {' and '.join(events)} only"
        )
    return str(event)


def text_field(mapping: Mapping[str, Any], key: str, where: str) -> str:
    """A required string field; its absence is a payload this adapter cannot judge."""
    value = mapping.get(key)
    if not isinstance(value, str):
        raise _wrong_field(where, key, value, "a string")
    return value


def object_field(mapping: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = mapping.get(key)
    if not isinstance(value, dict):
        raise _wrong_field(where, key, value, "an object")
    return value


def _wrong_field(where: str, key: str, value: object, expected: str) -> BadPayload:
    found = "missing" if value is None else f"a {type(value).__name__}"
    return BadPayload(f"{where}.{key} is {found}, expected {expected}")


def optional_text(mapping: Mapping[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) and value.strip() else None


def tool_name_and_cwd(payload: Mapping[str, Any], event: str) -> tuple[str, str | None]:
    """The fields every tool call of the `tool_name` / `tool_input` protocols starts with."""
    require_event(payload, event)
    return text_field(payload, "tool_name", "payload"), optional_text(payload, "cwd")


def command_call(name: str, tool_input: Mapping[str, Any], cwd: str | None) -> ToolCall:
    """A shell tool's call: its `command`, and its `description` as the stated intent."""
    command = text_field(tool_input, "command", "tool_input")
    return ToolCall(name, command=command, intent=optional_text(tool_input, "description"), cwd=cwd)


def file_call(name: str, payload: Mapping[str, Any], key: str, cwd: str | None) -> ToolCall:
    """A file tool's call: the one file its `tool_input[key]` names (Write and write_file
    carry the whole new `content`; empty content wipes the file)."""
    tool_input = object_field(payload, "tool_input", "payload")
    path = text_field(tool_input, key, "tool_input")
    return ToolCall(name, paths=(path,), emptied=tool_input.get("content") == "", cwd=cwd)


def mcp_arguments(tool_input: object) -> Mapping[str, Any]:
    return tool_input if isinstance(tool_input, dict) else {}


def named_mcp_call(name: str, tool_input: object) -> McpCall | None:
    """An `mcp__<server>__<tool>` call with its arguments; None for a tool of the agent's own."""
    named = split_mcp_name(name)
    return named._replace(arguments=mcp_arguments(tool_input)) if named else None


def split_mcp_name(name: str) -> McpCall | None:
    """`mcp__<server>__<tool>` (Claude Code, Codex, Gemini CLI), else None."""
    prefix, _, rest = name.partition("__")
    server, _, tool = rest.partition("__")
    if prefix != "mcp" or not server or not tool:
        return None
    return McpCall(server, tool)


def context_for_call(call: ToolCall, cwd: str, env: Mapping[str, str]) -> GuardContext:
    """The engine's context where the call runs, with the agent's stated intent."""
    from handrail.guard.engine import context_for

    context = context_for(call.cwd or cwd, env)
    return context._replace(intent=call.intent) if call.intent else context


def judge(call: ToolCall, context: GuardContext) -> Verdict:
    """The engine's verdict on one tool call."""
    from handrail.guard import engine
    from handrail.guard.rules import strictest

    if call.command is not None:
        return engine.decide_command(call.command, context)
    verdicts = [engine.decide_file_write(path, context, call.emptied) for path in call.paths]
    if call.mcp is not None:
        from handrail.guard.hooks.mcp import judge_mcp

        verdicts.append(judge_mcp(call.mcp, context))
    return strictest(verdicts) or Verdict(
        "allow", "default.allow", f"{call.tool} runs nothing and writes no file"
    )


def failure(rule: str, problem: str) -> Verdict:
    """Fail closed: a call the guard could not judge goes to a human, never through."""
    return Verdict("ask", rule, f"could not judge this tool call ({problem}); a human decides")


def message(verdict: Verdict, deny_only: bool = False) -> str:
    """The sentence the agent and the human read; `deny_only` adds how to approve an ask."""
    text = f"handrail guard: {verdict.reason} [{verdict.rule}]"
    if deny_only and verdict.decision == "ask":
        text += ". " + APPROVAL_HINT.format(rule=verdict.rule)
    return text
