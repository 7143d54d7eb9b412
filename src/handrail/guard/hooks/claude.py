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
from typing import TYPE_CHECKING, Any

from handrail.guard.hooks import HookAnswer
from handrail.guard.hooks.core import (
    ToolCall,
    command_call,
    file_call,
    message,
    named_mcp_call,
    object_field,
    tool_name_and_cwd,
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
        return call._replace(unattended=True)
    return call


def _tool_call(payload: Mapping[str, Any]) -> ToolCall:
    name, cwd = tool_name_and_cwd(payload, EVENT)
    if name == "Bash":
        return command_call(name, object_field(payload, "tool_input", "payload"), cwd)
    if name in FILE_TOOLS:
        return file_call(name, payload, FILE_TOOLS[name], cwd)
    # An MCP tool, judged by its arguments; any other tool (Read, Grep…) changes nothing watched.
    return ToolCall(name, mcp=named_mcp_call(name, payload.get("tool_input")), cwd=cwd)


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
