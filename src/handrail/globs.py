"""Git-style globs (the rules of .gitignore), compiled by pathspec."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec


def compile_globs(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """A matcher for the patterns; an invalid pattern raises ValueError."""
    import pathspec  # on first use: commands that match no paths should not pay for it

    return pathspec.GitIgnoreSpec.from_lines(list(patterns))
