"""The `[guard]` section of handrail.toml: protected branches, production and safe name
patterns, rule overrides and extra rules.

```toml
[guard]
protected_branches = ["main", "release/*"]
production_patterns = ["prod", "live"]
disable = ["git.delete-branch"]

[guard.decisions]
"git.discard-changes" = "allow"
"kubernetes.*" = "ask"

[[guard.rule]]
id = "no-drain"
command = ["kubectl", "drain"]
decision = "deny"
reason = "draining nodes goes through the on-call runbook"
```

The hook reads only this table (`load_guard_settings`), never the whole configuration, and
only when the project has a handrail.toml.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Annotated, Literal

import msgspec

from handrail.guard.model import Decision, GuardContext

_DEFAULTS = GuardContext(cwd="")
RuleId = Annotated[str, msgspec.Meta(pattern=r"^\S+$")]
# Rule ids the parser itself emits (see handrail.guard.shell), the engine's and the hooks' own.
ENGINE_RULES = {
    "shell.unresolved": "a command name, eval or piped code known only when it runs",
    "shell.remote-code": "code downloaded from the network run unread",
    "shell.parse-error": "a command that does not parse as shell",
    "guard.config-error": "handrail.toml could not be read",
    "guard.internal-error": "a rule family failed",
    "guard.bad-input": "a tool call the hook cannot read",
    "mcp.destructive-tool": "an MCP tool named for deleting, dropping, purging…",
    "default.allow": "no rule objects",
}


class ExtraRule(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A rule of the project's own: programs whose argv starts with `command` get `decision`.

    Words of `command` may be shell-style wildcards (`"delete*"`)."""

    id: RuleId
    command: Annotated[list[Annotated[str, msgspec.Meta(min_length=1)]], msgspec.Meta(min_length=1)]
    decision: Decision
    reason: str = ""

    def matches(self, argv: tuple[str, ...]) -> bool:
        return len(argv) >= len(self.command) and all(
            fnmatchcase(word, pattern) for word, pattern in zip(argv, self.command, strict=False)
        )


class GuardSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    protected_branches: list[str] = msgspec.field(
        default_factory=lambda: list(_DEFAULTS.protected_branches)
    )
    production_patterns: list[str] = msgspec.field(
        default_factory=lambda: list(_DEFAULTS.production_patterns)
    )
    safe_patterns: list[str] = msgspec.field(default_factory=lambda: list(_DEFAULTS.safe_patterns))
    disable: list[RuleId] = []
    decisions: dict[RuleId, Decision] = {}
    rule: list[ExtraRule] = []

    def __post_init__(self) -> None:
        problem = rule_id_problem(self)
        if problem is not None:
            raise ValueError(problem)


def known_rules(families: Iterable[str] | None = None) -> dict[str, str]:
    """Every built-in rule id (of `families`, when given: the hook imports no family it need
    not); a family without a RULES table accepts `family.*` ids."""
    from handrail.guard import rules

    known = dict(ENGINE_RULES)
    for name in rules.FAMILIES if families is None else set(families) & set(rules.FAMILIES):
        known.update(getattr(rules.load(name), "RULES", {f"{name}.*": "any rule of " + name}))
    return known


def _known(rule: str, known: dict[str, str], extra: set[str]) -> bool:
    if rule in known or rule in extra:
        return True
    family = rule.partition(".")[0]
    return f"{family}.*" in known or (
        rule == f"{family}.*" and any(k.startswith(family + ".") for k in known)
    )


def rule_id_problem(settings: GuardSettings) -> str | None:
    """The first rule id in `disable` or `decisions` that names no rule, as "field: problem"."""
    named = [*settings.disable, *settings.decisions, *(rule.id for rule in settings.rule)]
    if not named:
        return None
    # An id's family is the part before its first dot: only those families' tables are read.
    known = known_rules(rule_id.partition(".")[0] for rule_id in named)
    extra: set[str] = set()
    for number, rule in enumerate(settings.rule, start=1):
        if rule.id in known or rule.id in extra:
            return f"rule[{number}] ({rule.id!r}).id: the id is already used by another rule"
        extra.add(rule.id)
    for field, ids in (("disable", settings.disable), ("decisions", list(settings.decisions))):
        for rule_id in ids:
            if not _known(rule_id, known, extra):
                close = [k for k in known if k.partition(".")[0] == rule_id.partition(".")[0]]
                hint = f"; rules of that family: {', '.join(sorted(close))}" if close else ""
                return f"{field}: unknown rule id {rule_id!r}{hint}"
    return None


def override(rule: str, settings: GuardSettings) -> Decision | Literal["disabled"] | None:
    """What the project says about a rule: "disabled", a decision, or None (keep it)."""
    for pattern in settings.disable:
        if fnmatchcase(rule, pattern):
            return "disabled"
    for pattern, decision in settings.decisions.items():
        if fnmatchcase(rule, pattern):
            return decision
    return None


def load_guard_settings(path: str) -> GuardSettings | None:
    """The `[guard]` table of the handrail.toml at `path`; None when it has none.

    Raises HandrailError naming the file and the field at fault."""
    import tomllib

    from handrail.errors import HandrailError

    source = "handrail.toml"
    try:
        with open(path, "rb") as handle:  # noqa: PTH123 - pathlib costs import time in the hook
            data = tomllib.loads(handle.read().decode("utf-8"))
    except OSError as exc:
        raise HandrailError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise HandrailError(f"{source}: not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise HandrailError(f"{source}: invalid TOML: {exc}") from exc
    table = data.get("guard")
    if table is None:
        return None
    try:
        return msgspec.convert(table, GuardSettings)
    except msgspec.ValidationError as exc:
        raise HandrailError(f"{source}: {explain(str(exc), table)}") from exc


def explain(message: str, table: object) -> str:
    """msgspec's error about the guard table as "guard.<field>: problem"."""
    from handrail.config import _explain, _locate

    problem, _, at = message.partition(" - at `")
    location = _locate(at.rstrip("`").replace("[...]", ""))
    if not location and ": " in problem:  # raised by __post_init__: "field: problem"
        return f"guard.{problem}"
    if location[:1] == ("decisions",) and problem.startswith("Invalid enum value"):
        return f"guard.decisions: each decision must be 'allow', 'ask' or 'deny' ({problem})"
    return _explain(problem, ("guard", *location), {"guard": table})
