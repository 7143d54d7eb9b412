"""The guard's decision: parse, unwrap, ask every rule family, apply the project's overrides,
and keep the strictest verdict.

Code the parser cannot read before it runs is at least `ask`; so is a handrail.toml that does
not load (the hook fails closed). A family that raises turns into `ask`, never into a pass.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from handrail.guard.model import SEVERITY, GuardContext, Invocation, Verdict
from handrail.guard.rules import FAMILIES, load, strictest

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import ModuleType

    from handrail.guard.settings import GuardSettings

CONFIG_FILE = "handrail.toml"
_families: list[ModuleType] = []


def _loaded_families() -> list[ModuleType]:
    if not _families:
        _families.extend(load(name) for name in FAMILIES)
    return _families


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
    return replace(context, settings=settings, config_error=problem)


def find_config(cwd: str) -> str | None:
    """handrail.toml at the root of the repository holding `cwd` (no git process)."""
    folder = os.path.abspath(cwd)  # noqa: PTH100 - os.path: no pathlib import in the hook
    while True:
        if os.path.exists(os.path.join(folder, ".git")):  # noqa: PTH110, PTH118
            candidate = os.path.join(folder, CONFIG_FILE)  # noqa: PTH118
            return candidate if os.path.isfile(candidate) else None  # noqa: PTH113
        parent = os.path.dirname(folder)  # noqa: PTH120
        if parent == folder:
            return None
        folder = parent


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
    return _final(verdicts, context, f"no rule objects to: {shown}")


def judge_invocation(invocation: Invocation, context: GuardContext) -> list[Verdict]:
    """Every family's verdict on one program, and the project's own rules."""
    verdicts: list[Verdict] = []
    if invocation.cwd is not None and invocation.cwd != context.cwd:
        context = replace(context, cwd=invocation.cwd)
    for family in _loaded_families():
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


def decide_file_write(path: str, context: GuardContext) -> Verdict:
    """A write by a file tool (Write, Edit): the safeguards' own files, credentials, system
    files and paths outside the project."""
    from handrail.guard.places import is_critical_file, place
    from handrail.guard.rules.bypass import protected_file
    from handrail.guard.rules.secrets import is_secret_path

    verdicts: list[Verdict] = []
    hit = protected_file(path, context)
    if hit is not None:
        rule, what = hit
        decision = "deny" if rule == "agent-settings" else "ask"
        verdicts.append(Verdict(decision, f"bypass.{rule}", f"writing {what}"))
    if is_secret_path(path, context):
        verdicts.append(Verdict("ask", "secrets.read", f"writing the credential file {path}"))
    spot = place(path, context)
    if spot.kind == "device" or (spot.kind == "system" and is_critical_file(spot.path)):
        verdicts.append(Verdict("deny", "filesystem.write-system", f"writing {spot.describe()}"))
    elif spot.kind in ("system", "root", "ancestor", "home"):
        verdicts.append(Verdict("ask", "filesystem.write-system", f"writing {spot.describe()}"))
    elif spot.kind in ("outside", "secrets", "unknown"):
        verdicts.append(Verdict("ask", "filesystem.write-outside", f"writing {spot.describe()}"))
    return _final(verdicts, context, f"{path} is an ordinary file of the project")


def _final(verdicts: list[Verdict], context: GuardContext, allowed: str) -> Verdict:
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
