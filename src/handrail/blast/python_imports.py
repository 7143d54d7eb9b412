"""Python imports, read by grimp from the packages of a tree, held in memory.

Imports inside functions count, as they run too; imports under `if TYPE_CHECKING:` do not,
because they never run.
"""

from __future__ import annotations

import io
import posixpath
import tempfile
import tokenize
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from handrail.blast.imports import Edge, ImportGraph, UnparsedFile

# Bump when finding packages or mapping modules to files changes what a tree yields.
_RULES_VERSION = "1"


@dataclass(frozen=True)
class PythonPackage:
    """A top-level package: `import name` finds `directory` when its parent is on sys.path."""

    name: str
    directory: str  # repository-relative, e.g. "services/checkout/app"


def find_packages(files: Iterable[str]) -> list[PythonPackage]:
    """Directories with an `__init__.py` whose parent has none, wherever they are: at the
    root, under src/, or deep in a monorepo (libs/payments/src/payments, services/x/app)."""
    package_dirs = {posixpath.dirname(f) for f in files if posixpath.basename(f) == "__init__.py"}
    package_dirs.discard("")  # an __init__.py at the root gives no importable name
    return [
        PythonPackage(posixpath.basename(directory), directory)
        for directory in sorted(package_dirs)
        if posixpath.basename(directory).isidentifier()
        and not any(parent in package_dirs for parent in _parents(directory))
    ]


def _parents(directory: str) -> Iterator[str]:
    while "/" in directory:
        directory = posixpath.dirname(directory)
        yield directory


def _rounds(packages: list[PythonPackage]) -> list[list[PythonPackage]]:
    """Package sets for one grimp graph each, holding one package per name.

    Monorepos repeat names (services/*/app): each service runs in its own process, so each
    `app` gets its own round, next to every other package. An import of a repeated name from
    elsewhere then reaches each of its instances: when unsure, err on the side of reach.
    """
    by_name: dict[str, list[PythonPackage]] = {}
    for package in packages:
        by_name.setdefault(package.name, []).append(package)
    count = max(map(len, by_name.values()), default=0)
    return [[same[min(i, len(same) - 1)] for same in by_name.values()] for i in range(count)]


class PythonImports:
    """The Python backend of the import graph, built on grimp."""

    name = "python"

    @property
    def version(self) -> str:
        from importlib.metadata import version  # cheaper than importing grimp for its version

        return f"{_RULES_VERSION}-grimp{version('grimp')}"

    def handles(self, path: str) -> bool:
        return path.endswith(".py")

    def stand_ins(self, path: str) -> Iterator[str]:
        """`from pkg import name` reads `pkg/name.py` when there is one, else `pkg`."""
        for directory in _parents(path):
            yield f"{directory}/__init__.py"

    def rebuilds_on(self, path: str, added_or_removed: bool) -> bool:
        """A new or removed __init__.py changes which folders are packages."""
        return added_or_removed and posixpath.basename(path) == "__init__.py"

    def edges(self, files: Mapping[str, bytes]) -> ImportGraph:
        from handrail.blast.grimp_tree import Tree

        sources, unparsed = _readable(files)
        edges: set[Edge] = set()
        with tempfile.TemporaryDirectory(prefix="handrail-imports-") as scratch:
            tree = Tree(sources, Path(scratch))
            for packages in _rounds(find_packages(sources)):
                found, failed = tree.edges({p.name: p.directory for p in packages})
                edges |= found
                for path, line in failed.items():
                    unparsed[path] = UnparsedFile(path, f"syntax error at line {line or '?'}")
        return ImportGraph(frozenset(edges), tuple(unparsed[path] for path in sorted(unparsed)))


def _readable(files: Mapping[str, bytes]) -> tuple[dict[str, bytes], dict[str, UnparsedFile]]:
    """The files, where one that is not text in its declared encoding (UTF-8 unless a coding
    line says otherwise) is emptied and recorded as unparsed."""
    sources: dict[str, bytes] = {}
    unparsed: dict[str, UnparsedFile] = {}
    for path, raw in files.items():
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
            raw.decode(encoding)
            sources[path] = raw
        except (SyntaxError, UnicodeDecodeError) as exc:
            sources[path] = b""
            unparsed[path] = UnparsedFile(path, f"not readable as Python source text: {exc}")
    return sources, unparsed
