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
    command_call,
    file_call,
    mcp_arguments,
    message,
    named_mcp_call,
    object_field,
    optional_text,
    tool_name_and_cwd,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from handrail.guard.model import Verdict

EVENT = "BeforeTool"
SHELL_TOOL = "run_shell_command"
FILE_TOOLS = ("write_file", "replace", "edit")


def tool_call(payload: Mapping[str, Any]) -> ToolCall:
    name, cwd = tool_name_and_cwd(payload, EVENT)
    if name == SHELL_TOOL:
        tool_input = object_field(payload, "tool_input", "payload")
        folder = optional_text(tool_input, "dir_path") or optional_text(tool_input, "directory")
        # A relative directory is relative to the session's; an absolute one replaces it.
        where = os.path.join(cwd or "", folder) if folder else cwd  # noqa: PTH118
        return command_call(name, tool_input, where)
    if name in FILE_TOOLS:
        return file_call(name, payload, "file_path", cwd)
    return ToolCall(name, mcp=_mcp(name, payload), cwd=cwd)


def _mcp(name: str, payload: Mapping[str, Any]) -> McpCall | None:
    """The server and tool `mcp_context` names, else those of an `mcp__server__tool` name."""
    context = payload.get("mcp_context")
    if isinstance(context, dict):
        server = optional_text(context, "server_name") or ""
        tool = optional_text(context, "tool_name") or name
        return McpCall(server, tool, mcp_arguments(payload.get("tool_input")))
    return named_mcp_call(name, payload.get("tool_input"))


def answer(verdict: Verdict, unattended: bool = False) -> HookAnswer:
    """Every ask is answered as unattended: this protocol has no way to ask."""
    if verdict.decision == "allow":
        return HookAnswer("{}\n", "", 0)
    text = message(verdict, deny_only=True)
    output = {"decision": "deny", "reason": text, "systemMessage": text}
    return HookAnswer(json.dumps(output) + "\n", "", 0)
