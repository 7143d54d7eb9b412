"""Changes to the safeguards themselves: policy, ownership, CI and agent-hook settings."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from handrail.globs import compile_globs

if TYPE_CHECKING:
    import pathspec


@dataclass(frozen=True)
class SafeguardChange:
    path: str
    guards: str  # what the file guards, e.g. "CI pipelines"


@cache
def _groups() -> list[tuple[str, pathspec.GitIgnoreSpec]]:
    table = tomllib.loads(resources.files("handrail.blast").joinpath("safeguards.toml").read_text())
    return [(group["name"], compile_globs(group["paths"])) for group in table["group"]]


def safeguard_changes(paths: Iterable[str]) -> list[SafeguardChange]:
    """The changed paths that are safeguards, with what each one guards."""
    found = []
    for path in paths:
        for name, spec in _groups():
            if spec.match_file(path):
                found.append(SafeguardChange(path, name))
                break
    return found
