"""OpenAI Codex `PreToolUse` (https://developers.openai.com/codex/hooks).

Stdin is Claude Code's shape: `tool_name` "Bash" with `tool_input.command`, `apply_patch` with
the patch text in `tool_input.command`, MCP tools as `mcp__<server>__<tool>` with their
arguments. There is no stated intent.

Answer: Codex honours only `permissionDecision: "deny"` (with a non-empty reason). "ask" and a
bare "allow" are rejected as invalid output, and an invalid output lets the call run — so an
`ask` is sent as a deny whose reason tells the human how to approve, and an allow is silence.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from handrail.guard.hooks import HookAnswer, claude
from handrail.guard.hooks.core import BadPayload, ToolCall, optional_text, require_event

if TYPE_CHECKING:
    from collections.abc import Mapping

    from handrail.guard.model import Verdict

PATCH_TOOL = "apply_patch"
# The apply_patch format's file headers (codex-rs/apply-patch): each names one file it writes.
PATCH_HEADERS = ("*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: ")


def tool_call(payload: Mapping[str, Any]) -> ToolCall:
    if payload.get("tool_name") != PATCH_TOOL:
        return claude.tool_call(payload)
    require_event(payload, claude.EVENT)
    tool_input = payload.get("tool_input")
    patch = next(
        (tool_input[key] for key in ("command", "input", "patch")
         if isinstance(tool_input, dict) and isinstance(tool_input.get(key), str)),
        None,
    )  # fmt: skip
    if patch is None:
        raise BadPayload("apply_patch without the patch text in tool_input.command")
    return ToolCall(PATCH_TOOL, paths=patch_paths(patch), cwd=optional_text(payload, "cwd"))


def patch_paths(patch: str) -> tuple[str, ...]:
    """The files an apply_patch text adds, updates, deletes or moves to, in order."""
    paths = [
        line[len(header) :].strip()
        for line in patch.splitlines()
        for header in PATCH_HEADERS
        if line.startswith(header)
    ]
    if not paths:
        raise BadPayload("the apply_patch text names no file (no '*** Update File:' header)")
    return tuple(dict.fromkeys(paths))


def answer(verdict: Verdict, unattended: bool = False) -> HookAnswer:
    """Every ask is answered as unattended: this protocol has no way to ask."""
    if verdict.decision == "allow":
        return HookAnswer("", "", 0)
    output = claude.decision_output(verdict, "deny", deny_only=True)
    return HookAnswer(json.dumps(output) + "\n", "", 0)
