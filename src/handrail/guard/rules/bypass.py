"""Turning the safeguards off: disabling git hooks, editing the agent's own hook settings or
handrail.toml, `--no-verify`, CI skips, changing the guard's environment, uninstalling it.

A commit message is text: `git commit -m "rm -rf / was dangerous"` runs nothing. Only a CI
skip marker in it is an instruction to another system, and it is `ask` at most.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from handrail.guard.effects import effects, mode_and_paths
from handrail.guard.model import Verdict
from handrail.guard.places import place, project_root
from handrail.guard.rules import strictest
from handrail.guard.rules.git import global_configs, option_values, subcommand
from handrail.guard.words import long_options, operands, short_flags, within

if TYPE_CHECKING:
    from handrail.guard.model import Decision, GuardContext, Invocation

FAMILY = "bypass"
RULES = {
    "bypass.agent-settings": "changing the agent's own hook settings (where the guard is hooked)",
    "bypass.policy-file": "changing or deleting handrail.toml",
    "bypass.git-hooks": "deleting, disabling or replacing git hooks",
    "bypass.safeguard-file": "changing CI workflows, CODEOWNERS or pre-commit configuration",
    "bypass.hooks-path": "pointing git's core.hooksPath elsewhere",
    "bypass.no-verify": "--no-verify: skipping git hooks",
    "bypass.ci-skip": "[skip ci] markers and ci.skip push options",
    "bypass.guard-environment": "setting or unsetting HANDRAIL_* variables",
    "bypass.uninstall": "uninstalling handrail or its hook, or disabling its executable",
    "bypass.branch-protection": "removing branch protection, or merging past it (gh --admin)",
}
# The documented off switches of hook managers (husky, pre-commit, lefthook, overcommit).
HOOK_SWITCHES = {
    "HUSKY": ("0", "false"),
    "HUSKY_SKIP_HOOKS": None,
    "SKIP": None,
    "PRE_COMMIT_ALLOW_NO_CONFIG": None,
    "LEFTHOOK": ("0", "false"),
    "OVERCOMMIT_DISABLE": None,
}
# Relative to the project root and to the home directory.
AGENT_SETTINGS = (
    ".claude/settings.json", ".claude/settings.local.json", ".codex/config.toml",
    ".codex/hooks.json", ".cursor/hooks.json", ".gemini/settings.json",
)  # fmt: skip
SAFEGUARD_FILES = (
    ".github/workflows/", ".gitlab-ci.yml", ".circleci/", "Jenkinsfile", "azure-pipelines.yml",
    ".buildkite/", "CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS",
    ".pre-commit-config.yaml", ".husky/", "lefthook.yml", ".lefthook.yml",
)  # fmt: skip
_CI_SKIP = ("[skip ci]", "[ci skip]", "[no ci]", "[skip actions]", "[actions skip]", "***no_ci***")
_NO_VERIFY_COMMANDS = ("commit", "push", "merge", "am", "cherry-pick", "revert", "rebase")


def protected_file(
    path: str, context: GuardContext, whole_folder: bool = False
) -> tuple[str, str] | None:
    """(rule, what it is) when `path` is, or as a glob covers, one of the safeguards' files."""
    spot = place(path, context)
    bases = [project_root(context)] + ([context.home] if context.home else [])
    for base in bases:
        if not within(spot.path, base):
            continue
        relative = posixpath.relpath(spot.path, base)
        hit = _protected_relative(relative, in_project=base == bases[0])
        if hit is None and (whole_folder or spot.wildcard):  # `rm -rf .claude`: what it holds
            hit = _protected_folder(relative, in_project=base == bases[0])
        if hit is not None:
            return hit
    return None


def _protected_folder(relative: str, in_project: bool) -> tuple[str, str] | None:
    if relative in (".", ".."):
        return None
    inside = relative.rstrip("/") + "/"
    for entry in AGENT_SETTINGS:
        if entry.startswith(inside):
            return "agent-settings", f"{relative}, which holds the agent's hook settings {entry}"
    if not in_project:
        return None
    if ".git/hooks/".startswith(inside) or relative == ".git/hooks":
        return "git-hooks", f"{relative}, which holds the git hooks"
    for entry in (e for e in SAFEGUARD_FILES if e.endswith("/")):
        if entry.startswith(inside):
            return "safeguard-file", f"{relative}, which holds the safeguard file {entry}"
    return None


def _protected_relative(relative: str, in_project: bool) -> tuple[str, str] | None:
    if relative in AGENT_SETTINGS:
        return "agent-settings", f"the agent's hook settings {relative}"
    if not in_project:
        return None
    if relative == "handrail.toml":
        return "policy-file", "handrail.toml, the guard's policy"
    if relative.startswith(".git/hooks/"):
        return "git-hooks", f"the git hook {relative}"
    if relative in SAFEGUARD_FILES or any(
        relative.startswith(folder) for folder in SAFEGUARD_FILES if folder.endswith("/")
    ):
        return "safeguard-file", f"the safeguard file {relative}"
    return None


def judge(invocation: Invocation, context: GuardContext) -> Verdict | None:
    found: list[Verdict | None] = [_file_change(invocation, context)]
    name = invocation.program
    if name == "git":
        found.append(_git(invocation))
    elif name in ("export", "unset", "declare", "typeset", "readonly", "setenv"):
        found += [_guard_variable(invocation, word.partition("=")[0]) for word in invocation.args]
    elif name in ("handrail", "pip", "pip3", "pipx", "uv", "brew"):
        found.append(_uninstall(invocation))
    elif name == "gh":
        found.append(_github(invocation))
    found += [_guard_variable(invocation, variable) for variable, _ in invocation.assignments]
    if name == "git":
        found += [_hook_switch(invocation, *pair) for pair in invocation.assignments]
    return strictest(found)


def _hook_switch(invocation: Invocation, variable: str, value: str) -> Verdict | None:
    if variable not in HOOK_SWITCHES or not value:
        return None
    off_values = HOOK_SWITCHES[variable]
    if off_values is not None and value.lower() not in off_values:
        return None
    return Verdict(
        "ask", "bypass.no-verify", f"`{invocation.source}` turns hooks off with {variable}={value}"
    )


def _github(invocation: Invocation) -> Verdict | None:
    args = invocation.args
    decision: Decision | None = None
    if args[:2] == ("pr", "merge") and "--admin" in args:
        decision, what = "ask", "merges past required reviews and checks"
    elif args[:1] == ("api",) and any("/protection" in a for a in args):
        methods = {value.upper() for value in option_values(args, ("-X", "--method"))}
        if "DELETE" in methods:
            decision, what = "deny", "removes branch protection"
        elif methods & {"PUT", "PATCH", "POST"}:
            decision, what = "ask", "changes branch protection"
    if decision is None:
        return None
    return Verdict(decision, "bypass.branch-protection", f"`{invocation.source}` {what}")


def _file_change(invocation: Invocation, context: GuardContext) -> Verdict | None:
    found: list[Verdict | None] = []
    emptied = emptied_files(invocation)
    for effect in effects(invocation):
        if not effect.resolved:
            continue
        if effect.action != "write" and posixpath.basename(effect.path) == "handrail":
            found.append(
                Verdict("deny", "bypass.uninstall", f"`{invocation.source}` disables handrail")
            )
        hit = protected_file(effect.path, context, whole_folder=effect.action != "write")
        if hit is None:
            continue
        rule, what = hit
        action = "empty" if effect.action == "write" and effect.path in emptied else effect.action
        found.append(_change_verdict(f"`{invocation.source}`", rule, what, action, invocation.args))
    return strictest(found)


# Programs that print nothing: `: > f`, `true > f`, `cat /dev/null > f` leave `f` empty.
_SILENT = frozenset({":", "true", "false"})
_TRUNCATING_REDIRECTS = frozenset({">", ">|", "&>"})


def emptied_files(invocation: Invocation) -> set[str]:
    """The files the invocation leaves empty: truncated by a `>` redirect of a program that
    prints nothing, `truncate -s 0`, `cp /dev/null FILE`, or `tee` fed nothing."""
    name, args = invocation.program, invocation.args
    truncated = [t for o, t in invocation.redirects if o in _TRUNCATING_REDIRECTS]
    emptied = set(truncated) if truncated and _prints_nothing(invocation) else set()
    sizes = option_values(args, ("-s", "--size"))
    if name == "truncate" and sizes and sizes[-1] in ("0", "0K", "0M"):
        emptied |= set(operands(args, frozenset({"-s", "--size", "-r", "--reference"})))
    if name == "cp" and operands(args)[:1] == ["/dev/null"]:
        emptied |= set(operands(args)[1:])
    if name == "tee" and not {"-a", "--append"} & set(args) and _reads_nothing(invocation):
        emptied |= set(operands(args))
    return emptied


def _prints_nothing(invocation: Invocation) -> bool:
    """`:`, `true`, a bare redirect, `cat /dev/null`, `echo -n`, `printf ''`."""
    from handrail.guard.unwrap import static_output

    name, args = invocation.program, invocation.args
    if not name or name in _SILENT or (name == "cat" and args and set(args) == {"/dev/null"}):
        return True
    printed = static_output(invocation)
    return printed is not None and not printed.strip()


def _reads_nothing(invocation: Invocation) -> bool:
    """Its stdin is /dev/null, or a pipeline known to print nothing (`printf '' | tee f`)."""
    from handrail.guard.unwrap import static_pipeline

    if ("<", "/dev/null") in invocation.redirects:
        return True
    fed = static_pipeline(invocation.upstream) if invocation.upstream else None
    return fed is not None and not fed.strip()


def protected_write(
    path: str, context: GuardContext, writer: str, emptied: bool = False
) -> Verdict | None:
    """A file tool (Write, Edit…) writing `path`, judged as a shell write would be: the
    agent's hook settings are denied, handrail.toml and git hooks denied when emptied, the
    other safeguard files asked. `writer` names the tool for the reason."""
    hit = protected_file(path, context)
    if hit is None:
        return None
    return _change_verdict(writer, *hit, "empty" if emptied else "write")


def _change_verdict(
    writer: str, rule: str, what: str, action: str, args: tuple[str, ...] = ()
) -> Verdict | None:
    """The verdict on `writer` deleting, emptying, changing or re-permissioning a safeguard
    file; `args` are chmod's, to tell whether hooks stop running."""
    verb = {
        "delete": "deletes",
        "empty": "empties",
        "write": "changes",
        "permissions": "changes permissions of",
    }
    reason = f"{writer} {verb[action]} {what}"
    if rule == "agent-settings":
        return Verdict("deny", "bypass.agent-settings", f"{reason}: the guard must not edit itself")
    if rule == "git-hooks":
        if action == "permissions":
            mode, _ = mode_and_paths(args)
            disables = "-x" in mode or (
                mode.isdigit() and int(mode[-3] if len(mode) >= 3 else "7") % 2 == 0
            )
            return (
                Verdict("deny", "bypass.git-hooks", f"{reason}: hooks stop running")
                if disables
                else None
            )
        decision = "deny" if action in ("delete", "empty") else "ask"
        return Verdict(decision, "bypass.git-hooks", reason)  # type: ignore[arg-type]
    if rule == "policy-file" and action in ("delete", "empty"):
        return Verdict(
            "deny", "bypass.policy-file", f"{reason}: the project's guard rules are lost"
        )
    return Verdict("ask", f"bypass.{rule}", reason)


def _git(invocation: Invocation) -> Verdict | None:
    found: list[Verdict | None] = []
    for setting in global_configs(invocation.args):
        key, _, value = setting.partition("=")
        if key.lower() == "core.hookspath":
            found.append(_hooks_path(invocation, value))
    command, args = subcommand(invocation.args)
    if command == "config":
        keys = [a for a in args if not a.startswith("-")]
        reading = bool({"--get", "--get-all", "--list", "-l", "--get-regexp"} & set(args))
        if keys and keys[0].lower() == "core.hookspath" and not reading:
            unset = "--unset" in args or "--unset-all" in args
            found.append(_hooks_path(invocation, "" if unset else " ".join(keys[1:2]) or ""))
    if command in _NO_VERIFY_COMMANDS:
        skip = "--no-verify" in long_options(args) or (
            command == "commit" and "n" in short_flags(args)
        )
        if skip:
            found.append(
                Verdict("ask", "bypass.no-verify", f"`{invocation.source}` skips the git hooks")
            )
    if command == "commit":
        found.append(_ci_skip_message(invocation, args))
    if command == "push" and any(
        value.lower().startswith("ci.skip")
        for value in option_values(args, ("-o", "--push-option"))
    ):
        found.append(Verdict("ask", "bypass.ci-skip", f"`{invocation.source}` skips CI"))
    return strictest(found)


def _ci_skip_message(invocation: Invocation, args: tuple[str, ...]) -> Verdict | None:
    messages = option_values(args, ("-m", "--message"))
    messages += [
        a[2:] for a in args if a.startswith("-m") and len(a) > 2 and not a.startswith("-m=")
    ]
    for message in messages:
        if any(marker in message.lower() for marker in _CI_SKIP):
            return Verdict(
                "ask", "bypass.ci-skip", "the commit message tells CI to skip this commit"
            )
    return None


def _hooks_path(invocation: Invocation, value: str) -> Verdict:
    if value in ("", "/dev/null") or value.startswith("/dev/"):
        return Verdict(
            "deny", "bypass.hooks-path", f"`{invocation.source}` turns every git hook off"
        )
    return Verdict(
        "ask", "bypass.hooks-path", f"`{invocation.source}` runs other git hooks than the project's"
    )


def _guard_variable(invocation: Invocation, variable: str) -> Verdict | None:
    if not variable.startswith("HANDRAIL_"):
        return None
    return Verdict(
        "ask",
        "bypass.guard-environment",
        f"`{invocation.source}` changes {variable}, which configures handrail itself",
    )


def _uninstall(invocation: Invocation) -> Verdict | None:
    args = invocation.args
    if invocation.program == "handrail":
        if "guard" in args and ({"uninstall", "--uninstall", "--remove"} & set(args)):
            return Verdict("deny", "bypass.uninstall", f"`{invocation.source}` removes the guard")
        return None
    if ("uninstall" in args[:2] or "remove" in args[:2]) and "handrail" in args:
        return Verdict("deny", "bypass.uninstall", f"`{invocation.source}` removes handrail")
    return None
