"""`handrail.toml`: its schema, and loading it with errors that name the field at fault."""

from __future__ import annotations

import tomllib
from typing import Annotated, Any, Literal

import pathspec
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from handrail.errors import HandrailError
from handrail.git import RepoInfo, read_file

CONFIG_FILE = "handrail.toml"

Seniority = Literal["junior", "mid", "senior", "principal"]
Status = Literal["active", "departed"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    # An unknown key is almost always a typo of a known one: say so rather than ignore it.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComponentConfig(_Strict):
    name: Name
    paths: list[Name] = Field(min_length=1)
    tier: int = Field(ge=0, le=3, description="0 = most critical … 3 = least")
    owners: list[Name] = Field(default_factory=list)
    description: str | None = None

    @field_validator("paths")
    @classmethod
    def _globs_compile(cls, paths: list[str]) -> list[str]:
        for path in paths:
            try:
                pathspec.GitIgnoreSpec.from_lines([path])
            except ValueError as exc:
                raise ValueError(f"{path!r} is not a valid git-style glob: {exc}") from exc
        return paths


class PersonConfig(_Strict):
    id: Name
    name: str | None = None
    emails: list[Name] = Field(default_factory=list)
    github: str | None = None
    seniority: Seniority = "mid"
    status: Status = "active"
    teams: list[Name] = Field(default_factory=list)


class PolicyConfig(_Strict):
    """Risk rules; the change gate fills this table in."""


class Config(_Strict):
    component: list[ComponentConfig] = Field(default_factory=list)
    person: list[PersonConfig] = Field(default_factory=list)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)

    @field_validator("component")
    @classmethod
    def _unique_components(cls, components: list[ComponentConfig]) -> list[ComponentConfig]:
        _no_duplicates([c.name for c in components], "component name")
        return components

    @field_validator("person")
    @classmethod
    def _unique_people(cls, people: list[PersonConfig]) -> list[PersonConfig]:
        _no_duplicates([p.id for p in people], "person id")
        _no_duplicates([e.casefold() for p in people for e in p.emails], "person e-mail")
        return people


def _no_duplicates(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears twice")
        seen.add(value)


def _field_path(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """('component', 1, 'tier') -> 'component[2] "checkout".tier' (1-based, as people count)."""
    parts: list[str] = []
    node: Any = data
    for step in loc:
        if isinstance(step, int):
            parts[-1] += f"[{step + 1}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            label = node.get("name") or node.get("id") if isinstance(node, dict) else None
            if isinstance(label, str):
                parts[-1] += f" ({label!r})"
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def parse_config(text: str, source: str = CONFIG_FILE) -> Config:
    """Validate a handrail.toml; any problem is a HandrailError naming the line or field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HandrailError(f"{source}: invalid TOML: {exc}") from exc
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] not in {"missing", "extra_forbidden"} and "input" in first:
            message += f" (got {first['input']!r})"
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise HandrailError(
            f"{source}: {_field_path(first['loc'], data)}: {message}{more}"
        ) from exc


def load_config(repo: RepoInfo) -> Config:
    """The repository's handrail.toml, or an empty configuration when it has none."""
    raw = read_file(repo, CONFIG_FILE)
    if raw is None:
        return Config()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HandrailError(f"{CONFIG_FILE}: not UTF-8 text (byte {exc.start})") from exc
    return parse_config(text)
