"""`handrail.toml`: its schema, and loading it with errors that name the field at fault.

The schema is msgspec Structs: strict typed validation with the path of every error, at a
fraction of the start-up cost of heavier libraries (the agent hook starts a process per call).
"""

from __future__ import annotations

import re
import tomllib
from typing import Annotated, Any, Literal, get_args

import msgspec

from handrail.docs.settings import DocsSettings
from handrail.errors import HandrailError
from handrail.git import RepoInfo, read_blob, read_file
from handrail.globs import compile_globs
from handrail.guard.settings import GuardSettings
from handrail.knowledge.settings import KnowledgeSettings

CONFIG_FILE = "handrail.toml"

Seniority = Literal["junior", "mid", "senior", "principal"]
# Declared from least to most senior: the order is the ranking.
SENIORITY_RANK = {level: rank for rank, level in enumerate(get_args(Seniority))}
Status = Literal["active", "departed"]
Scope = Literal["change", "component"]
Approvers = Literal["owners", "anyone"]
# Not empty and not only blanks.
Name = Annotated[str, msgspec.Meta(pattern=r"\S")]


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """An unknown key is almost always a typo of a known one: say so rather than ignore it."""


class ComponentConfig(_Strict):
    name: Name
    paths: Annotated[list[Name], msgspec.Meta(min_length=1)]
    tier: Annotated[int, msgspec.Meta(ge=0, le=3)]  # 0 = most critical … 3 = least
    owners: list[Name] = []
    description: str | None = None


class PersonConfig(_Strict):
    id: Name
    name: str | None = None
    emails: list[Name] = []
    github: str | None = None
    seniority: Seniority = "mid"
    status: Status = "active"
    teams: list[Name] = []


class RuleConfig(_Strict):
    """One policy rule: when its CEL condition holds, the change needs its control."""

    id: Name
    when: Name  # a CEL expression over `change`, `author` and (scope "component") `component`
    description: str = ""
    scope: Scope = "change"
    approvals: Annotated[int, msgspec.Meta(ge=0, le=10)] = 1
    # Who may approve: the owners of the component (or of every component touched), or anyone.
    approvers: Approvers = "anyone"
    min_seniority: Seniority | None = None  # every counted approval must be at least this
    seniors: Annotated[int, msgspec.Meta(ge=0, le=10)] = 0  # of which this many senior+
    block: bool = False  # no approval can satisfy it: the change must not merge as it is


class PolicyConfig(_Strict):
    """Risk rules: the built-in ones (unless `defaults = false`), minus `disable`, plus `rule`
    entries (a rule with a built-in rule's id replaces it)."""

    defaults: bool = True
    disable: list[Name] = []
    rule: list[RuleConfig] = []


class Config(_Strict):
    component: list[ComponentConfig] = []
    person: list[PersonConfig] = []
    policy: PolicyConfig = msgspec.field(default_factory=PolicyConfig)
    docs: DocsSettings = msgspec.field(default_factory=DocsSettings)
    guard: GuardSettings = msgspec.field(default_factory=GuardSettings)
    knowledge: KnowledgeSettings = msgspec.field(default_factory=KnowledgeSettings)


_PATH_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _locate(path: str) -> tuple[str | int, ...]:
    """msgspec's "$.component[0].tier" as ('component', 0, 'tier')."""
    return tuple(
        key if key else int(index) for key, index in _PATH_STEP.findall(path.removeprefix("$"))
    )


def _field_path(loc: tuple[str | int, ...], data: Any) -> tuple[str, Any]:
    """('component', 1, 'tier') -> 'component[2] ('checkout').tier', and the value found there.

    Entries count from 1, as people do, and carry their name or id when they have one.
    """
    parts: list[str] = []
    node: Any = data
    for step in loc:
        if isinstance(step, int):
            parts[-1] += f"[{step + 1}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            label = (node.get("name") or node.get("id")) if isinstance(node, dict) else None
            if isinstance(label, str):
                parts[-1] += f" ({label!r})"
        else:
            parts.append(step)
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)", node


_KEY_PROBLEM = re.compile(r"Object (contains unknown|missing required) field `([^`]+)`")
_CHOICES = {
    "seniority": get_args(Seniority),
    "min_seniority": get_args(Seniority),
    "status": get_args(Status),
    "scope": get_args(Scope),
    "approvers": get_args(Approvers),
}


def _explain(message: str, loc: tuple[str | int, ...], data: Any) -> str:
    """msgspec's message, reworded for someone editing the file, with the field and value."""
    key_problem = _KEY_PROBLEM.fullmatch(message)
    if key_problem:
        kind, key = key_problem.groups()
        where, _ = _field_path((*loc, key), data)
        problem = "unknown key" if kind.startswith("contains") else "required key is missing"
        return f"{where}: {problem}"
    where, value = _field_path(loc, data)
    if message.startswith("Invalid enum value") and loc and loc[-1] in _CHOICES:
        allowed = ", ".join(repr(choice) for choice in _CHOICES[str(loc[-1])])
        return f"{where}: must be one of {allowed} (got {value!r})"
    got = f" (got {value!r})" if ", got `" not in message else f" ({value!r})"
    return f"{where}: {message}{got}"


def _check(config: Config) -> None:
    """Rules that span entries, as (path, problem)."""
    checks = (
        ("component", [c.name for c in config.component], "component name"),
        ("person", [p.id for p in config.person], "person id"),
        ("person", [e.casefold() for p in config.person for e in p.emails], "person e-mail"),
    )
    for where, values, what in checks:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise ValueError(where, f"{what} {value!r} appears twice")
            seen.add(value)
    for number, component in enumerate(config.component):
        for path in component.paths:
            try:
                compile_globs([path])
            except ValueError as exc:
                raise ValueError(
                    f"component[{number + 1}] ({component.name!r}).paths",
                    f"{path!r} is not a valid git-style glob: {exc}",
                ) from exc


def parse_config(text: str, source: str = CONFIG_FILE) -> Config:
    """Validate a handrail.toml; any problem is a HandrailError naming the line or field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HandrailError(f"{source}: invalid TOML: {exc}") from exc
    try:
        config = msgspec.convert(data, Config)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).partition(" - at `")
        raise HandrailError(
            f"{source}: {_explain(message, _locate(path.rstrip('`')), data)}"
        ) from exc
    try:
        _check(config)
    except ValueError as exc:
        where, problem = exc.args
        raise HandrailError(f"{source}: {where}: {problem}") from exc
    return config


def load_config(repo: RepoInfo, rev: str | None = None) -> Config:
    """The repository's handrail.toml (as committed at `rev`, else the work tree's), or an
    empty configuration when it has none."""
    raw = read_file(repo, CONFIG_FILE) if rev is None else read_blob(repo, rev, CONFIG_FILE)
    source = CONFIG_FILE if rev is None else f"{CONFIG_FILE} at {rev[:12]}"
    if raw is None:
        return Config()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HandrailError(f"{source}: not UTF-8 text (byte {exc.start})") from exc
    return parse_config(text, source)
