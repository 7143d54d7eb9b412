"""The registry of known AI signatures, read from signatures.toml (data, not code)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any, Literal, cast

from handrail.provenance.evidence import STRENGTHS, Strength

Kind = Literal["identity", "trailer", "stamp", "subject-prefix", "name-suffix"]
KINDS: tuple[Kind, ...] = ("identity", "trailer", "stamp", "subject-prefix", "name-suffix")
REGISTRY_FILE = "signatures.toml"


@dataclass(frozen=True)
class KnownSignature:
    """One mark an AI tool leaves in commits; see signatures.toml for what each field means."""

    kind: Kind
    match: str
    tool: str | None  # None: the tool is named by the trailer's value
    strength: Strength
    caveat: str | None
    examples: tuple[str, ...]
    source: str

    def describe(self, found: str) -> str:
        """What was found, with this signature's caveat when it has one."""
        return f"{found} ({self.caveat})" if self.caveat else found


@dataclass(frozen=True)
class Registry:
    signatures: tuple[KnownSignature, ...]
    agent_names: Mapping[str, str]  # attribution notes' agent ids (lower case) → tool names

    def of_kind(self, kind: Kind) -> tuple[KnownSignature, ...]:
        return tuple(s for s in self.signatures if s.kind == kind)

    def identity(self, email: str) -> KnownSignature | None:
        """The AI tool an e-mail address belongs to (compared case-insensitively)."""
        return self._identities.get(email.casefold())

    def trailer(self, key: str) -> KnownSignature | None:
        """The AI signature a trailer key is (compared case-insensitively, as git does)."""
        return self._trailers.get(key.casefold())

    def agent_name(self, agent_id: str) -> str:
        """The tool name for an attribution note's agent id; unknown ids are shown as written."""
        return self.agent_names.get(agent_id.casefold(), agent_id)

    @cached_property
    def _identities(self) -> dict[str, KnownSignature]:
        return {s.match.casefold(): s for s in self.of_kind("identity")}

    @cached_property
    def _trailers(self) -> dict[str, KnownSignature]:
        return {s.match.casefold(): s for s in self.of_kind("trailer")}


@cache
def registry() -> Registry:
    """The registry shipped with Handrail."""
    text = resources.files("handrail.provenance").joinpath(REGISTRY_FILE).read_text("utf-8")
    return parse_registry(tomllib.loads(text))


def parse_registry(table: Mapping[str, Any]) -> Registry:
    """Check and convert the registry's TOML; a mistake names the entry and the field."""
    signatures = tuple(
        _signature(number, entry) for number, entry in enumerate(table["signature"], start=1)
    )
    names = {str(agent).casefold(): str(tool) for agent, tool in table["agent_names"].items()}
    return Registry(signatures, names)


def _signature(number: int, entry: Mapping[str, Any]) -> KnownSignature:
    where = f"{REGISTRY_FILE}, signature {number}"
    for field in ("kind", "match", "strength", "examples", "source"):
        if field not in entry:
            raise ValueError(f"{where}: `{field}` is missing")
    if entry["kind"] not in KINDS:
        raise ValueError(f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    if entry["strength"] not in STRENGTHS:
        raise ValueError(
            f"{where}: strength {entry['strength']!r} is not one of {', '.join(STRENGTHS)}"
        )
    if "tool" not in entry and entry["kind"] != "trailer":
        raise ValueError(f"{where}: `tool` is missing (only a trailer may name it in its value)")
    return KnownSignature(
        kind=cast(Kind, entry["kind"]),
        match=str(entry["match"]),
        tool=entry.get("tool"),
        strength=cast(Strength, entry["strength"]),
        caveat=entry.get("caveat"),
        examples=tuple(entry["examples"]),
        source=str(entry["source"]),
    )
