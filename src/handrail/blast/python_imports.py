"""Python imports, read by grimp from the packages of a materialised tree.

Imports inside functions count, as they run too; imports under `if TYPE_CHECKING:` do not,
because they never run.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from handrail.blast.imports import Edge, ImportGraph, UnparsedFile

if TYPE_CHECKING:
    import grimp

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

    def edges(self, root: Path, files: Sequence[str]) -> ImportGraph:
        present = set(files)
        edges: set[Edge] = set()
        unparsed: dict[str, UnparsedFile] = {}
        for packages in _rounds(find_packages(files)):
            graph = _grimp_graph(root, packages, files, unparsed)
            edges.update(_file_edges(graph, packages, present))
        return ImportGraph(frozenset(edges), tuple(unparsed[path] for path in sorted(unparsed)))


def _grimp_graph(
    root: Path,
    packages: list[PythonPackage],
    files: Sequence[str],
    unparsed: dict[str, UnparsedFile],
) -> grimp.ImportGraph:
    """One grimp graph of `packages`. A file grimp cannot read is recorded in `unparsed` and
    emptied (it stays importable, its own imports are unknown), then grimp tries again."""
    import grimp
    from grimp.exceptions import SourceSyntaxError

    with _package_directories({p.name: str(root / p.directory) for p in packages}):
        while True:
            try:
                # grimp's own cache is keyed by file modification times, which mean nothing in
                # a scratch directory; ours is keyed by the tree.
                return grimp.build_graph(
                    *(p.name for p in packages),
                    cache_dir=None,
                    exclude_type_checking_imports=True,
                )
            except SourceSyntaxError as exc:
                path = Path(exc.filename).relative_to(root).as_posix()
                unreadable = [UnparsedFile(path, f"syntax error at line {exc.lineno or '?'}")]
            except UnicodeError:
                # grimp names the file only inside its message: find every such file ourselves.
                unreadable = _undecodable(root, _inside(packages, files))
                if not unreadable:
                    raise
            for problem in unreadable:
                unparsed[problem.path] = problem
                (root / problem.path).write_bytes(b"")


def _inside(packages: list[PythonPackage], files: Sequence[str]) -> list[str]:
    prefixes = tuple(f"{package.directory}/" for package in packages)
    return [path for path in files if path.startswith(prefixes)]


def _undecodable(root: Path, files: list[str]) -> list[UnparsedFile]:
    """Files that are not text in their declared encoding (UTF-8 unless a coding line says
    otherwise)."""
    found = []
    for path in files:
        raw = (root / path).read_bytes()
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
            raw.decode(encoding)
        except (SyntaxError, UnicodeDecodeError) as exc:
            found.append(UnparsedFile(path, f"not readable as Python source text: {exc}"))
    return found


@dataclass(frozen=True)
class _KnownPackages:
    """grimp's package finder, answering from our own table of package directories."""

    directories: dict[str, str]

    def determine_package_directories(self, package_name: str, file_system: object) -> set[str]:
        return {self.directories[package_name]}


@contextlib.contextmanager
def _package_directories(directories: dict[str, str]) -> Iterator[None]:
    """Make grimp look packages up in `directories` rather than on sys.path: importlib answers
    with an already imported module of the same name, so analysing handrail's own repository
    (or any package that handrail itself imports) would silently read the installed copy."""
    from grimp.application.config import settings

    previous = settings.PACKAGE_FINDER
    settings.configure(PACKAGE_FINDER=_KnownPackages(directories))
    try:
        yield
    finally:
        settings.configure(PACKAGE_FINDER=previous)


def _file_edges(
    graph: grimp.ImportGraph, packages: list[PythonPackage], present: set[str]
) -> Iterator[Edge]:
    directories = {package.name: package.directory for package in packages}
    file_of = {module: _module_file(module, directories, present) for module in graph.modules}
    for module, importer in file_of.items():
        for imported in graph.find_modules_directly_imported_by(module):
            yield importer, file_of[imported]


def _module_file(module: str, directories: dict[str, str], present: set[str]) -> str:
    """`pkg.mod` is pkg/mod/__init__.py (a package wins, as in Python) or else pkg/mod.py."""
    top, *rest = module.split(".")
    base = "/".join([directories[top], *rest])
    package = f"{base}/__init__.py"
    return package if package in present else f"{base}.py"
