"""The guard's decision: parse, unwrap, ask every rule family, apply the project's overrides,
and keep the strictest verdict.

Code the parser cannot read before it runs is at least `ask`; so is a handrail.toml that does
not load (the hook fails closed). A family that raises turns into `ask`, never into a pass.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from handrail.guard.model import SEVERITY, GuardContext, Invocation, Verdict
from handrail.guard.rules import families_for, load, strictest

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import ModuleType

    from handrail.guard.settings import GuardSettings

CONFIG_FILE = "handrail.toml"


def context_for(cwd: str, env: Mapping[str, str], strict: bool = False) -> GuardContext:
    """The context for a command run in `cwd`, with the project's `[guard]` settings.

    A broken handrail.toml raises HandrailError when `strict` (guard check), and otherwise
    lands in `config_error`, so every decision asks and says why (the hook fails closed)."""
    from handrail.guard.context import load_context

    settings: GuardSettings | None = None
    problem: str | None = None
    config = find_config(cwd)
    if config is not None:
        from handrail.errors import HandrailError
        from handrail.guard.settings import load_guard_settings

        try:
            settings = load_guard_settings(config)
        except HandrailError as error:
            if strict:
                raise
            problem = str(error)
    context = load_context(cwd, env, settings)
    return context._replace(settings=settings, config_error=problem)


def find_config(cwd: str) -> str | None:
    """handrail.toml at the root of the repository holding `cwd` (no git process)."""
    from handrail.guard.context import find_project_root

    root = find_project_root(cwd)
    if root is None:
        return None
    candidate = os.path.join(root, CONFIG_FILE)  # noqa: PTH118 - no pathlib import in the hook
    return candidate if os.path.isfile(candidate) else None  # noqa: PTH113


def _variables(context: GuardContext) -> dict[str, str]:
    known = {"PWD": context.cwd}
    if context.home:
        known["HOME"] = context.home
    return known


def decide_command(text: str, context: GuardContext) -> Verdict:
    from handrail.guard.shell import parse

    parsed = parse(text, _variables(context))
    verdicts = list(parsed.findings)
    for invocation in parsed.invocations:
        verdicts += judge_invocation(invocation, context)
    programs = [i.program for i in parsed.invocations if i.program]
    shown = ", ".join(dict.fromkeys(programs)) or "nothing to run"
    return final_verdict(verdicts, context, f"no rule objects to: {shown}")


def judge_invocation(invocation: Invocation, context: GuardContext) -> list[Verdict]:
    """Every family's verdict on one program, and the project's own rules."""
    verdicts: list[Verdict] = []
    if invocation.cwd is not None and invocation.cwd != context.cwd:
        context = context._replace(cwd=invocation.cwd)
    for family in _families(invocation.program):
        try:
            verdict = family.judge(invocation, context)
        except Exception as error:
            verdict = Verdict(
                "ask",
                "guard.internal-error",
                f"the {family.FAMILY} rules failed on `{invocation.source}`"
                f" ({type(error).__name__}: {error}); a human should decide",
            )
        if verdict is not None:
            verdicts.append(verdict)
    settings: GuardSettings | None = context.settings  # type: ignore[assignment]
    if settings is not None:
        for rule in settings.rule:
            if rule.matches(invocation.argv):
                reason = (
                    rule.reason or f"the project's rule {rule.id} matches `{invocation.source}`"
                )
                verdicts.append(Verdict(rule.decision, rule.id, reason))
    return verdicts


def _families(program: str) -> list[ModuleType]:
    """The rule families that judge `program`, imported on first use."""
    return [load(name) for name in families_for(program)]


def decide_file_write(path: str, context: GuardContext, emptied: bool = False) -> Verdict:
    """A write by a file tool (Write, Edit): the safeguards' own files, credentials, system
    files and paths outside the project. `emptied`: the tool writes empty content."""
    from handrail.guard.places import is_critical_file, place
    from handrail.guard.rules.bypass import protected_write
    from handrail.guard.rules.secrets import is_secret_path

    verdicts: list[Verdict] = []
    safeguard = protected_write(path, context, "the file tool", emptied=emptied)
    if safeguard is not None:
        verdicts.append(safeguard)
    if is_secret_path(path, context):
        verdicts.append(Verdict("ask", "secrets.read", f"writing the credential file {path}"))
    spot = place(path, context)
    if spot.kind == "device" or (spot.kind == "system" and is_critical_file(spot.path)):
        verdicts.append(Verdict("deny", "filesystem.write-system", f"writing {spot.describe()}"))
    elif spot.kind in ("system", "root", "ancestor", "home"):
        verdicts.append(Verdict("ask", "filesystem.write-system", f"writing {spot.describe()}"))
    elif spot.kind in ("outside", "secrets", "unknown"):
        verdicts.append(Verdict("ask", "filesystem.write-outside", f"writing {spot.describe()}"))
    return final_verdict(verdicts, context, f"{path} is an ordinary file of the project")


def final_verdict(verdicts: list[Verdict], context: GuardContext, allowed: str) -> Verdict:
    """The decision on a whole tool call: the project's overrides applied to `verdicts`, a
    broken handrail.toml raising it to ask, the strictest kept; none left: allow, saying
    `allowed`."""
    settings: GuardSettings | None = context.settings  # type: ignore[assignment]
    if settings is not None:
        verdicts = _overridden(verdicts, settings)
    if context.config_error:
        verdicts.append(
            Verdict(
                "ask",
                "guard.config-error",
                f"{context.config_error} (the guard cannot apply the project's policy)",
            )
        )
    best = strictest(verdicts)
    if best is None or SEVERITY[best.decision] == 0:
        return best or Verdict("allow", "default.allow", allowed)
    return best


def _overridden(verdicts: list[Verdict], settings: GuardSettings) -> list[Verdict]:
    from handrail.guard.settings import override

    kept: list[Verdict] = []
    for verdict in verdicts:
        change = override(verdict.rule, settings)
        if change == "disabled":
            continue
        if change is not None:
            reason = f"{verdict.reason} (handrail.toml sets {verdict.rule} to {change})"
            verdict = Verdict(change, verdict.rule, reason)
        kept.append(verdict)
    return kept
