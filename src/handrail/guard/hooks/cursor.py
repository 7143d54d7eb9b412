"""Cursor `beforeShellExecution` and `beforeMCPExecution` (https://cursor.com/docs/agent/hooks).

Stdin: `{"hook_event_name": "beforeShellExecution", "command", "cwd", "workspace_roots", …}`,
or `{"hook_event_name": "beforeMCPExecution", "tool_name", "tool_input", "url" | "command"}`
where `tool_input` may arrive as an object or as a JSON string, and `command` is the MCP
server's launch command (not something the agent runs).

Answer: `{"permission": "allow" | "ask" | "deny", "user_message", "agent_message"}`, always
explicit: Cursor expects a permission in every answer. The hook is installed with
`failClosed: true`, so a crash or a timeout blocks instead of letting the command through.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from handrail.guard.hooks import HookAnswer
from handrail.guard.hooks.core import (
    McpCall,
    ToolCall,
    mcp_arguments,
    message,
    optional_text,
    require_event,
    text_field,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from handrail.guard.model import Verdict

SHELL_EVENT = "beforeShellExecution"
MCP_EVENT = "beforeMCPExecution"


def tool_call(payload: Mapping[str, Any]) -> ToolCall:
    event = require_event(payload, SHELL_EVENT, MCP_EVENT)
    roots = payload.get("workspace_roots")
    root = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) else None
    cwd = optional_text(payload, "cwd") or root
    if event == SHELL_EVENT:
        return ToolCall("shell", command=text_field(payload, "command", "payload"), cwd=cwd)
    tool = text_field(payload, "tool_name", "payload")
    server = optional_text(payload, "url") or optional_text(payload, "command") or ""
    return ToolCall(tool, mcp=McpCall(server, tool, _arguments(payload.get("tool_input"))), cwd=cwd)


def _arguments(tool_input: object) -> Mapping[str, Any]:
    if isinstance(tool_input, str):
        try:
            tool_input = json.loads(tool_input)
        except json.JSONDecodeError:
            return {"input": tool_input}
    return mcp_arguments(tool_input)


def answer(verdict: Verdict, unattended: bool = False) -> HookAnswer:
    decision = "deny" if unattended and verdict.decision == "ask" else verdict.decision
    output: dict[str, str] = {"permission": decision}
    if decision != "allow":
        text = message(verdict, deny_only=unattended)
        # snake_case is the current field name; Cursor 1.7 read the camelCase spelling.
        output.update(user_message=text, agent_message=text, userMessage=text, agentMessage=text)
    return HookAnswer(json.dumps(output) + "\n", "", 0)
