"""`handrail guard`: allow / ask / deny for what an AI agent is about to run.

Without a subcommand it is the agent's pre-tool hook (one tool call as JSON on stdin, the
answer in the agent's format on stdout); `check` classifies commands for people and scripts.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from handrail.errors import HandrailError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator

    from handrail.guard.model import GuardContext, Verdict

NAME = "guard"
SUMMARY = "Allow, ask or deny the commands an AI agent wants to run (its pre-tool hook)."
EXAMPLES = """\
examples:
  handrail guard                          hook mode: a Claude Code PreToolUse call on stdin
  handrail guard --agent cursor           the same for Cursor (codex, gemini also)
  handrail guard check -- rm -rf ~        classify one command (exit 1: ask or deny)
  handrail guard check --command 'git push --force origin main' --format json
  handrail guard check --batch commands.txt   one command per line (or JSON objects with
                                          a "command" field); one JSON decision per line
  handrail guard install --agent claude   add the hook to .claude/settings.json (merged)
  handrail guard install --agent codex --scope user
  handrail guard shell -c 'make test'     a $SHELL for agents without hooks

decisions: allow (runs), ask (a human confirms), deny (does not run); each names its rule
and reason. Policy: the [guard] section of handrail.toml (protected_branches,
production_patterns, safe_patterns, disable, [guard.decisions], [[guard.rule]]).
"""
AGENTS = ("claude", "codex", "cursor", "gemini")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from handrail.cli import _common_options  # --repo / --format after the action too

    common = [_common_options(defaults=False)]
    parser.add_argument(
        "--agent", choices=AGENTS, default="claude", help="hook protocol (default: claude)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="classify commands: exit 0 allow, 1 ask or deny, 2 bad input",
        description="Classify commands without running them.",
        parents=common,
    )
    source = check.add_mutually_exclusive_group()
    source.add_argument("--command", dest="command_text", help="the command line, as one string")
    source.add_argument(
        "--batch",
        metavar="FILE",
        help="one command per line, or JSON objects with a 'command' field ('-': stdin)",
    )
    check.add_argument("words", nargs="*", metavar="-- CMD", help="the command, after --")
    install = actions.add_parser(
        "install", help="write the agent's hook settings (merging)", parents=common
    )
    install.add_argument("--agent", dest="install_agent", choices=AGENTS, required=True)
    install.add_argument("--scope", choices=("project", "user"), default="project")
    shell = actions.add_parser("shell", help="a $SHELL wrapper that guards every -c command")
    shell.add_argument("shell_args", nargs="*", metavar="ARG", help="as given to sh: -c CMD")


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "action", None)
    if action == "check":
        return _check(args)
    if action == "install":
        return _install(args)
    if action == "shell":
        from handrail.guard.shell_wrapper import main as shell_main

        return shell_main(list(args.shell_args))
    return hook(args.agent, str(args.repo))


def fast_hook(arguments: list[str]) -> Callable[[], int] | None:
    """Hook mode without building the CLI parser, for `guard` and `guard --agent A` exactly,
    and the $SHELL wrapper (`guard shell ARGS…`: whatever a shell is given, `-c CMD` included,
    which argparse would take for options of its own); None for anything else (the full parser
    handles it, errors included)."""
    if arguments[:1] == ["shell"]:
        from handrail.guard.shell_wrapper import main as shell_main

        return lambda: shell_main(arguments[1:])
    if not arguments:
        agent: str | None = "claude"
    elif arguments[0] == "--agent" and len(arguments) == 2:
        agent = arguments[1]
    elif arguments[0].startswith("--agent=") and len(arguments) == 1:
        agent = arguments[0].partition("=")[2]
    else:
        agent = None
    return (lambda: hook(agent, ".")) if agent in AGENTS else None


def hook(agent: str, cwd: str) -> int:
    """The agent's hook: stdin → the engine → the agent's answer format."""
    from handrail.guard.hooks import handle

    try:
        call = sys.stdin.read()
    except OSError as error:
        raise HandrailError(f"guard: cannot read the tool call from stdin: {error}") from error
    answer = handle(agent, call, os.path.abspath(cwd), os.environ)  # noqa: PTH100
    if answer.stdout:
        sys.stdout.write(answer.stdout)
    if answer.stderr:
        sys.stderr.write(answer.stderr)
    sys.stdout.flush()
    return answer.exit_code


def _install(args: argparse.Namespace) -> int:
    from handrail.guard.install import install

    result = install(args.install_agent, str(args.repo.resolve()), args.scope)
    if args.format == "json":
        from dataclasses import asdict

        _emit(asdict(result))
    else:
        print("\n".join(result.summary()))
    return 0


def _check(args: argparse.Namespace) -> int:
    from handrail.guard.engine import context_for

    context = context_for(str(args.repo.resolve()), os.environ, strict=True)
    if args.batch is not None:
        return _batch(args.batch, context)
    if args.command_text is not None:
        if args.words:
            raise HandrailError("guard check: give the command either after -- or with --command")
        command = args.command_text
    elif args.words:
        command = _join(args.words)
    else:
        raise HandrailError("guard check: no command (use -- CMD…, --command TEXT or --batch FILE)")
    verdict = _decide(command, context)
    if args.format == "json":
        _emit(_decision(command, verdict))
    else:
        print(f"{verdict.decision}: {verdict.reason} [{verdict.rule}]")
    return 0 if verdict.decision == "allow" else 1


def _join(words: list[str]) -> str:
    """Words given after `--` are already split: quote them back into one command line."""
    import shlex

    return words[0] if len(words) == 1 else shlex.join(words)


def _decide(command: str, context: GuardContext) -> Verdict:
    from handrail.guard.engine import decide_command

    return decide_command(command, context)


def _decision(command: str, verdict: Verdict) -> dict[str, Any]:
    return {
        "command": command,
        "decision": verdict.decision,
        "rule": verdict.rule,
        "reason": verdict.reason,
    }


def _emit(data: dict[str, Any]) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def _batch(path: str, context: GuardContext) -> int:
    commands = list(_batch_commands(path))  # read all first: bad input fails before output
    stopped = 0
    for command in commands:
        verdict = _decide(command, context)
        stopped += verdict.decision != "allow"
        _emit(_decision(command, verdict))
    sys.stdout.flush()
    return 1 if stopped else 0


def _batch_commands(path: str) -> Iterator[str]:
    import json

    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:  # noqa: PTH123
                text = handle.read()
    except OSError as error:
        raise HandrailError(f"{path}: cannot read: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise HandrailError(f"{path}: not UTF-8 text (byte {error.start})") from error
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if not line.lstrip().startswith("{"):
            yield line
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise HandrailError(f"{path}:{number}: invalid JSON: {error.msg}") from error
        command = entry.get("command") if isinstance(entry, dict) else None
        if not isinstance(command, str):
            raise HandrailError(f"{path}:{number}: a JSON line needs a string field 'command'")
        yield command
