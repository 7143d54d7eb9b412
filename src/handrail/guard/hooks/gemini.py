"""Gemini CLI `BeforeTool` (https://geminicli.com/docs/hooks/reference).

Stdin: `{"hook_event_name": "BeforeTool", "cwd", "tool_name", "tool_input", "mcp_context"?}`;
`run_shell_command` gives `command`, `description` (the stated intent) and an optional
directory (`dir_path`, formerly `directory`); `write_file` and `replace` give `file_path`; MCP
tools carry `mcp_context` with the server's and the tool's own names.

Answer: `{"decision": "deny", "reason"}` blocks (the reason goes to the model). Gemini CLI has
no "ask" for hooks, so an `ask` is a deny that says how a human approves; an allow is `{}`,
which leaves Gemini CLI's own confirmation in place.
"""

from __future__ import annotations

import json
import os
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

EVENT = "BeforeTool"
SHELL_TOOL = "run_shell_command"
FILE_TOOLS = ("write_file", "replace", "edit")


def tool_call(payload: Mapping[str, Any]) -> ToolCall:
    require_event(payload, EVENT)
    name = text_field(payload, "tool_name", "payload")
    cwd = optional_text(payload, "cwd")
    if name == SHELL_TOOL:
        tool_input = object_field(payload, "tool_input", "payload")
        folder = optional_text(tool_input, "dir_path") or optional_text(tool_input, "directory")
        return ToolCall(
            name,
            command=text_field(tool_input, "command", "tool_input"),
            intent=optional_text(tool_input, "description"),
            # A relative directory is relative to the session's; an absolute one replaces it.
            cwd=os.path.join(cwd or "", folder) if folder else cwd,  # noqa: PTH118
        )
    if name in FILE_TOOLS:
        tool_input = object_field(payload, "tool_input", "payload")
        return ToolCall(name, paths=(text_field(tool_input, "file_path", "tool_input"),), cwd=cwd)
    mcp = _mcp(name, payload)
    return ToolCall(name, mcp=mcp, cwd=cwd) if mcp else ToolCall(name, cwd=cwd)


def _mcp(name: str, payload: Mapping[str, Any]) -> McpCall | None:
    context = payload.get("mcp_context")
    arguments = payload.get("tool_input")
    arguments = arguments if isinstance(arguments, dict) else {}
    if isinstance(context, dict):
        server = optional_text(context, "server_name") or ""
        return McpCall(server, optional_text(context, "tool_name") or name, arguments)
    named = split_mcp_name(name)
    return McpCall(named.server, named.tool, arguments) if named else None


def answer(verdict: Verdict, unattended: bool = False) -> HookAnswer:
    """Every ask is answered as unattended: this protocol has no way to ask."""
    if verdict.decision == "allow":
        return HookAnswer("{}\n", "", 0)
    text = message(verdict, deny_only=True)
    output = {"decision": "deny", "reason": text, "systemMessage": text}
    return HookAnswer(json.dumps(output) + "\n", "", 0)
