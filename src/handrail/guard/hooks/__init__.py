"""The agents' pre-tool hook protocols: one core (`core`), one small adapter per agent.

Each adapter module has two functions:

* `tool_call(payload) -> ToolCall` — the agent's JSON as a command, file writes or MCP call
  (raises `BadPayload` when it cannot);
* `answer(verdict, unattended) -> HookAnswer` — the verdict in the agent's own answer format
  (`unattended`: nobody will see an `ask`, so it must be sent as a deny).

`handle` fails closed: unreadable input, a missing field, or an error anywhere (the engine
included) becomes an `ask` — which the deny-only protocols (Codex, Gemini) turn into a deny
that says how a human approves — and never the silent exit 0 an agent reads as "go ahead".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import ModuleType

    from handrail.guard.hooks.core import ToolCall
    from handrail.guard.model import GuardContext, Verdict

AGENTS = ("claude", "codex", "cursor", "gemini")
# Exit 2 with a reason on stderr blocks the call in all four protocols: the answer of last
# resort when even the agent's own format cannot be produced.
BLOCK_EXIT = 2


class HookAnswer(NamedTuple):
    stdout: str
    stderr: str
    exit_code: int


def handle(agent: str, stdin_text: str, cwd: str, env: Mapping[str, str]) -> HookAnswer:
    """Judge the one tool call on stdin and answer in `agent`'s format; never raises."""
    if agent not in AGENTS:
        return blocked(f"unknown agent {agent!r} (one of {', '.join(AGENTS)})")
    try:
        adapter = _adapter(agent)
        verdict, call, context = _decide(adapter, stdin_text, cwd, env)
        _record(verdict, call, agent, context, cwd, env)
        return adapter.answer(verdict, call is not None and call.unattended)
    except Exception as error:  # the hook fails closed, whatever broke
        return blocked(f"{type(error).__name__}: {error}")


def _adapter(agent: str) -> ModuleType:
    import importlib

    return importlib.import_module(f"handrail.guard.hooks.{agent}")


def _decide(
    adapter: ModuleType, stdin_text: str, cwd: str, env: Mapping[str, str]
) -> tuple[Verdict, ToolCall | None, GuardContext | None]:
    from handrail.guard.hooks.core import (
        BadPayload,
        context_for_call,
        failure,
        judge,
        parse_payload,
    )
    from handrail.guard.model import SEVERITY, Verdict

    call: ToolCall | None = None
    context: GuardContext | None = None
    try:
        call = adapter.tool_call(parse_payload(stdin_text))
        context = context_for_call(call, cwd, env)
        verdict = judge(call, context)
        if not isinstance(verdict, Verdict) or verdict.decision not in SEVERITY:
            raise TypeError(f"the engine answered {verdict!r}, not a verdict")
    except BadPayload as error:
        verdict = failure("guard.bad-input", str(error))
    except Exception as error:  # an engine bug must not let a call through
        verdict = failure("guard.internal-error", f"{type(error).__name__}: {error}")
    return verdict, call, context


def _record(
    verdict: Verdict,
    call: ToolCall | None,
    agent: str,
    context: GuardContext | None,
    cwd: str,
    env: Mapping[str, str],
) -> None:
    from handrail.guard.log import record
    from handrail.guard.model import GuardContext

    subject = call.subject if call is not None else "(unreadable tool call)"
    record(verdict, subject, agent, context or GuardContext(cwd=cwd, env=dict(env)))


def blocked(problem: str) -> HookAnswer:
    return HookAnswer(
        "", f"handrail guard failed ({problem}); the tool call is blocked to be safe\n", BLOCK_EXIT
    )
