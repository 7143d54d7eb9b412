"""Claude Code `PreToolUse` (https://code.claude.com/docs/en/hooks).

Stdin: `{"hook_event_name": "PreToolUse", "cwd", "tool_name", "tool_input", …}`; Bash gives
`command` and a `description` (the agent's stated intent), Write / Edit / MultiEdit give
`file_path`, NotebookEdit `notebook_path`, MCP tools are named `mcp__<server>__<tool>`.

Answer: exit 0 with `hookSpecificOutput.permissionDecision` "ask" or "deny" and a reason. An
allowed call gets no output at all: `"allow"` would skip Claude Code's own permission prompt,
and the guard only ever adds friction, it never removes the user's. In the
`bypassPermissions` and `dontAsk` modes nobody answers an "ask" (Claude Code has run such
calls unasked: anthropics/claude-code#77212), so there an ask is sent as a deny that says
how to approve.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from handrail.guard.hooks import HookAnswer
from handrail.guard.hooks.core import (
    McpCall,
    ToolCall,
    message,
    object_field,
    optional_text,
    require_event,
    split_mcp_name,
    text_field,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from handrail.guard.model import Verdict

EVENT = "PreToolUse"
UNATTENDED_MODES = ("bypassPermissions", "dontAsk")
FILE_TOOLS = {"Write": "file_path", "Edit": "file_path", "MultiEdit": "file_path",
              "NotebookEdit": "notebook_path"}  # fmt: skip


def tool_call(payload: Mapping[str, Any]) -> ToolCall:
    call = _tool_call(payload)
    if payload.get("permission_mode") in UNATTENDED_MODES:
        return replace(call, unattended=True)
    return call


def _tool_call(payload: Mapping[str, Any]) -> ToolCall:
    require_event(payload, EVENT)
    name = text_field(payload, "tool_name", "payload")
    cwd = optional_text(payload, "cwd")
    if name == "Bash":
        tool_input = object_field(payload, "tool_input", "payload")
        return ToolCall(
            name,
            command=text_field(tool_input, "command", "tool_input"),
            intent=optional_text(tool_input, "description"),
            cwd=cwd,
        )
    if name in FILE_TOOLS:
        tool_input = object_field(payload, "tool_input", "payload")
        path = text_field(tool_input, FILE_TOOLS[name], "tool_input")
        return ToolCall(name, paths=(path,), cwd=cwd)
    return _mcp_or_other(name, payload, cwd)


def _mcp_or_other(name: str, payload: Mapping[str, Any], cwd: str | None) -> ToolCall:
    """An `mcp__server__tool` call with its arguments; any other tool changes nothing watched."""
    named = split_mcp_name(name)
    if named is None:
        return ToolCall(name, cwd=cwd)
    arguments = payload.get("tool_input")
    mcp = McpCall(named.server, named.tool, arguments if isinstance(arguments, dict) else {})
    return ToolCall(name, mcp=mcp, cwd=cwd)


def answer(verdict: Verdict, unattended: bool = False) -> HookAnswer:
    if verdict.decision == "allow":
        return HookAnswer("", "", 0)
    decision = "deny" if unattended else verdict.decision
    output = decision_output(verdict, decision, deny_only=unattended)
    return HookAnswer(json.dumps(output) + "\n", "", 0)


def decision_output(verdict: Verdict, decision: str, deny_only: bool = False) -> dict[str, Any]:
    """The PreToolUse answer object (Codex reads the same one)."""
    output: dict[str, Any] = {
        "hookSpecificOutput": {
            "hookEventName": EVENT,
            "permissionDecision": decision,
            "permissionDecisionReason": message(verdict, deny_only),
        }
    }
    if decision == "deny":
        # The reason of a deny goes to the model; this line shows the human why as well.
        output["systemMessage"] = message(verdict, deny_only)
    return output
