"""The guard's shared vocabulary: what a rule family sees and what it answers.

A command line is parsed and unwrapped (sudo, env, `bash -c`, xargs, find -exec, ssh, heredocs…)
into `Invocation`s, each one program that would run with its arguments. Every rule family is a
module under `handrail.guard.rules` exposing `FAMILY: str` and
`judge(invocation: Invocation, context: GuardContext) -> Verdict | None` (None: nothing to say).
The engine keeps the most severe verdict over all invocations and families.

The records are NamedTuples, not dataclasses: the hook starts a process per tool call, and
importing `dataclasses` (which imports `inspect`) costs more than a decision. A changed copy is
`record._replace(field=value)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, NamedTuple

Decision = Literal["allow", "ask", "deny"]
# Severity order: the strictest verdict over all invocations wins.
SEVERITY: dict[Decision, int] = {"allow": 0, "ask": 1, "deny": 2}


class Verdict(NamedTuple):
    decision: Decision
    rule: str  # "<family>.<rule>", e.g. "git.force-push-protected"
    reason: str  # one sentence a human reads before saying yes


class Invocation(NamedTuple):
    """One program that would run, after unwrapping.

    `argv[0]` is the program's base name (`/bin/rm` → `rm`, `\\rm` → `rm`); words are the
    shell's words after quote removal (`r''m` → `rm`, `$'\\x72m'` → `rm`). A word the parser
    could not resolve statically (`$CMD`, `$(…)`, an unknown variable) is in `unresolved`
    by index, and its text in argv is the raw source.
    """

    argv: tuple[str, ...]
    source: str  # the text of this invocation as written, for reasons
    via: tuple[str, ...] = ()  # wrappers peeled off, outermost first: ("sudo", "bash -c")
    unresolved: frozenset[int] = frozenset()
    stdin_text: str | None = None  # a heredoc / here-string fed to it, when known statically
    upstream: tuple[Invocation, ...] = ()  # the pipeline commands feeding its stdin
    redirects: tuple[tuple[str, str], ...] = ()  # (operator, target), e.g. (">", "/dev/sda")
    privileged: bool = False  # run through sudo/doas
    # Commands whose output becomes this one's words (`$(…)`, backticks, `<(…)`).
    feeds: tuple[Invocation, ...] = ()
    # NAME=value given to this program only (`X=1 cmd`, `env X=1 cmd`).
    assignments: tuple[tuple[str, str], ...] = ()
    # The directory it runs in when an earlier `cd` in the same command moved away from the
    # context's cwd; "$UNKNOWN" when that `cd` went somewhere known only at run time.
    cwd: str | None = None

    @property
    def program(self) -> str:
        return self.argv[0] if self.argv else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]


class GuardContext(NamedTuple):
    """Where the command would run, and what the configuration says about it."""

    cwd: str
    project_root: str | None = None  # the git work tree containing cwd, when any
    home: str | None = None
    env: Mapping[str, str] = MappingProxyType({})  # read-only: the default is shared
    protected_branches: tuple[str, ...] = ("main", "master", "production", "release/*")
    production_patterns: tuple[str, ...] = ("prod", "production", "live")
    safe_patterns: tuple[str, ...] = ("dev", "test", "tmp", "staging", "sandbox", "local")
    kube_context: str | None = None
    aws_profile: str | None = None
    terraform_workspace: str | None = None
    intent: str | None = None  # the agent's stated description of what it is doing
    # The `[guard]` section (a handrail.guard.settings.GuardSettings), for overrides and extra
    # rules; None: the defaults.
    settings: object | None = None
    # handrail.toml could not be read: every decision is at least `ask`, naming this problem.
    config_error: str | None = None
