"""`handrail guard shell`: a `$SHELL` for agents that have no pre-tool hook.

Such agents run every command as `$SHELL -c "CMD"` (often with `-l` or `-i` too). With `$SHELL`
pointing here, each command is judged first: allowed commands are handed to the real shell
(`$HANDRAIL_REAL_SHELL`, else /bin/bash) with the very same arguments, by `exec`, so stdin,
stdout, signals and the exit status are the real shell's own. A denied command prints the
reason on stderr and exits 126 ("cannot execute"). An `ask` asks the human on the terminal
when there is one (y/N, default no), and is refused otherwise, saying how to approve it. Any
other invocation (an interactive shell, a script file) goes to the real shell unjudged.

An agent that drives its commands through a pseudo-terminal sees that prompt and could answer
it: for such agents set `HANDRAIL_GUARD_NO_PROMPT=1`, and every ask is refused.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from handrail.guard.model import Verdict

DENIED_EXIT = 126
REAL_SHELL_VARIABLE = "HANDRAIL_REAL_SHELL"
NO_PROMPT_VARIABLE = "HANDRAIL_GUARD_NO_PROMPT"
DEFAULT_SHELLS = ("/bin/bash", "/usr/bin/bash", "/bin/sh")
# Options of bash/sh that take a value: the word after them is not the command.
_VALUE_OPTIONS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
APPROVE_HINT = (
    "to run it anyway, a human runs it in their own terminal or allows the rule in"
    ' handrail.toml ([guard.decisions] "{rule}" = "allow")'
)


def main(argv: list[str]) -> int:
    """Run as the shell would be run: `argv` is what follows the shell's name."""
    shell = real_shell(os.environ)
    command = command_text(argv)
    if command is not None:
        verdict = _judge(command)
        if not _permitted(verdict, command):
            return DENIED_EXIT
    try:
        os.execv(shell, [shell, *argv])  # the real shell, with the caller's own arguments
    except OSError as error:
        print(f"handrail guard shell: cannot run {shell}: {error.strerror}", file=sys.stderr)
        return DENIED_EXIT
    return DENIED_EXIT  # not reached: execv replaces this process


def entry() -> None:
    """A console script (`handrail-guard-shell`), for agents whose $SHELL must be one file."""
    sys.exit(main(sys.argv[1:]))


def real_shell(env: Mapping[str, str]) -> str:
    chosen = env.get(REAL_SHELL_VARIABLE)
    if chosen:
        return chosen
    return next((shell for shell in DEFAULT_SHELLS if os.access(shell, os.X_OK)), "/bin/sh")


def command_text(argv: list[str]) -> str | None:
    """The CMD of `-c CMD` (also `-lc CMD`, `-c -e CMD`, `-o pipefail -c CMD`), else None.

    As in bash, -c takes the first word that is not an option, wherever -c stands."""
    reads_argument = False
    words = iter(argv)
    for word in words:
        if word == "--":
            first = next(words, None)
            break
        if word in _VALUE_OPTIONS:
            next(words, None)
        elif word[:1] in "-+" and len(word) > 1:
            reads_argument |= word[0] == "-" and not word.startswith("--") and "c" in word[1:]
        else:
            first = word
            break
    else:
        return None
    return first if reads_argument else None


def _judge(command: str) -> Verdict:
    """The engine's verdict; a failure of the guard itself becomes `ask` (fail closed)."""
    from handrail.guard.log import record
    from handrail.guard.model import GuardContext, Verdict

    cwd = os.getcwd()  # noqa: PTH109 - os, not pathlib: every import costs the shell start-up
    context = GuardContext(cwd=cwd, env=dict(os.environ))
    try:
        from handrail.guard.engine import context_for, decide_command

        context = context_for(cwd, os.environ)
        verdict = decide_command(command, context)
    except Exception as error:  # the guard failing must not let the command run unasked
        verdict = Verdict(
            "ask",
            "guard.internal-error",
            f"could not judge the command ({type(error).__name__}: {error}); a human decides",
        )
    record(verdict, command, "shell", context)
    return verdict


def _permitted(verdict: Verdict, command: str) -> bool:
    if verdict.decision == "allow":
        return True
    said = f"handrail guard: {verdict.reason} [{verdict.rule}]"
    if verdict.decision == "ask" and _has_terminal():
        return _confirm(said, command)
    if verdict.decision == "ask":
        said += f"; {APPROVE_HINT.format(rule=verdict.rule)}"
    print(f"{said}\nhandrail guard: not run: {command}", file=sys.stderr)
    return False


def _has_terminal() -> bool:
    if os.environ.get(NO_PROMPT_VARIABLE):
        return False
    return sys.stdin.isatty() or sys.stderr.isatty()


def _confirm(said: str, command: str) -> bool:
    """Ask on the controlling terminal: the agent may own stdin and stdout."""
    try:
        terminal = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        print(f"{said}\nhandrail guard: no terminal to ask on; not run", file=sys.stderr)
        return False
    try:
        os.write(terminal, f"{said}\n  {command}\nRun it? [y/N] ".encode())
        answer = os.read(terminal, 1024).decode(errors="replace").strip().lower()
    except OSError:
        answer = ""
    finally:
        os.close(terminal)
    return answer in ("y", "yes")
