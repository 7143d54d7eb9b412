"""The decisions log: one JSON line per decision, appended, for a human to review later.

`$HANDRAIL_GUARD_LOG`, else `$XDG_STATE_HOME/handrail/guard.jsonl`, else
`~/.local/state/handrail/guard.jsonl`. Writing it never fails a decision: an unwritable log is
skipped silently, because the answer to the agent matters more than the record of it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from handrail.guard.model import GuardContext, Verdict

LOG_VARIABLE = "HANDRAIL_GUARD_LOG"


def log_path(env: Mapping[str, str]) -> str | None:
    explicit = env.get(LOG_VARIABLE)
    if explicit:
        return explicit
    state = env.get("XDG_STATE_HOME") or (
        os.path.join(env["HOME"], ".local", "state") if env.get("HOME") else None  # noqa: PTH118
    )
    return os.path.join(state, "handrail", "guard.jsonl") if state else None  # noqa: PTH118


def record(
    verdict: Verdict, command_or_path: str, agent: str | None, context: GuardContext
) -> None:
    """Append one decision; never raises."""
    try:
        import json
        import time

        path = log_path(context.env or os.environ)
        if path is None:
            return
        line = json.dumps(
            {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "decision": verdict.decision,
                "rule": verdict.rule,
                "reason": verdict.reason,
                "command": command_or_path,
                "agent": agent,
                "cwd": context.cwd,
                "project_root": context.project_root,
            },
            ensure_ascii=False,
        )
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)  # noqa: PTH103, PTH120
        # One write() of one line with O_APPEND: concurrent hooks never interleave lines.
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, (line + "\n").encode("utf-8", "backslashreplace"))
        finally:
            os.close(descriptor)
    except Exception:
        return
