"""Import graphs: which file imports which, and what a change reaches through them.

Each language is a backend behind a small protocol. A backend reads the files of one commit,
written to a scratch directory from git's object store (never the work tree, so a bare
repository works as well). Its edges are cached under `<git-dir>/handrail/imports/`, keyed by
backend, backend version and the commit's tree id: equal trees hold equal files, so any commit
that records the same tree reuses the entry, and any change to a file makes a new key.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Annotated, Protocol

import msgspec

from handrail import git
from handrail.catalog import Catalog, Component

Edge = tuple[str, str]  # (importer, imported), repository-relative POSIX paths

# Each analysed tree adds one entry per backend; the least recently used beyond this go.
_KEEP_ENTRIES = 64


@dataclass(frozen=True)
class UnparsedFile:
    """A file whose imports could not be read: it can still be imported, but its own imports
    are missing from the graph."""

    path: str
    reason: str


@dataclass(frozen=True)
class ImportGraph:
    """File-level import edges, and the files whose imports could not be read."""

    edges: frozenset[Edge]
    unparsed: tuple[UnparsedFile, ...] = ()


class ImportBackend(Protocol):
    """One language's imports."""

    # A short stable name: part of the cache key.
    name: str

    # Changes whenever the same files could give other edges (new rules, upgraded parser).
    @property
    def version(self) -> str: ...

    # Whether `path` (repository-relative, POSIX) is a file this backend reads.
    def handles(self, path: str) -> bool: ...

    # The edges among `files`, written under `root`, which is scratch the backend may change.
    def edges(self, root: Path, files: Sequence[str]) -> ImportGraph: ...


def default_backends() -> tuple[ImportBackend, ...]:
    # Imported here because the backends import this module's types.
    from handrail.blast.python_imports import PythonImports

    return (PythonImports(),)


def cache_folder(repo: git.RepoInfo) -> Path:
    return repo.git_dir / "handrail" / "imports"


def import_graph(
    repo: git.RepoInfo, rev: str = "HEAD", backends: Sequence[ImportBackend] | None = None
) -> ImportGraph:
    """The import graph of the files `rev` records, built only for backends the cache lacks."""
    tree = git.tree_id(repo, rev)
    graphs: list[ImportGraph] = []
    missing: dict[Path, ImportBackend] = {}
    for backend in backends if backends is not None else default_backends():
        entry = cache_folder(repo) / f"{backend.name}-{backend.version}-{tree}.json"
        cached = _read_entry(entry)
        if cached is None:
            missing[entry] = backend
        else:
            graphs.append(cached)
    if missing:
        built = _build(repo, tree, list(missing.values()))
        for entry, graph in zip(missing, built, strict=True):
            _write_entry(entry, graph)
            graphs.append(graph)
    return ImportGraph(
        frozenset().union(*(graph.edges for graph in graphs)),
        tuple(unparsed for graph in graphs for unparsed in graph.unparsed),
    )


def _build(repo: git.RepoInfo, tree: str, backends: list[ImportBackend]) -> list[ImportGraph]:
    blobs = [
        (path, blob)
        for path, blob in git.list_blobs(repo, tree)
        # A crafted tree may name "../x": git refuses to check that out, and so do we.
        if ".." not in PurePosixPath(path).parts
    ]
    files = [[path for path, _ in blobs if backend.handles(path)] for backend in backends]
    wanted = set().union(*files)
    paths_of: dict[str, list[str]] = {}  # many files share a blob (empty __init__.py files)
    for path, blob in blobs:
        if path in wanted:
            paths_of.setdefault(blob, []).append(path)
    with tempfile.TemporaryDirectory(prefix="handrail-imports-") as scratch:
        root = Path(scratch)
        for blob, content in git.read_blobs(repo, paths_of):
            for path in paths_of[blob]:
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        return [
            backend.edges(root, handled) for backend, handled in zip(backends, files, strict=True)
        ]


class _Entry(msgspec.Struct, forbid_unknown_fields=True):
    """A cached graph: imports[i] lists the indexes in `files` that files[i] imports."""

    files: list[str]
    imports: list[list[Annotated[int, msgspec.Meta(ge=0)]]]
    unparsed: list[tuple[str, str]]


def _read_entry(location: Path) -> ImportGraph | None:
    """The cached graph, or None when there is none or it is unusable (then it is rebuilt)."""
    try:
        entry = msgspec.json.decode(location.read_bytes(), type=_Entry)
        edges = frozenset(
            (importer, entry.files[index])
            for importer, targets in zip(entry.files, entry.imports, strict=True)
            for index in targets
        )
    except (OSError, msgspec.DecodeError, IndexError, ValueError):
        return None
    with contextlib.suppress(OSError):
        os.utime(location)  # recently used: kept when old entries are pruned
    return ImportGraph(edges, tuple(UnparsedFile(path, reason) for path, reason in entry.unparsed))


def _write_entry(location: Path, graph: ImportGraph) -> None:
    """Write to a temporary file, then rename it: a reader never sees half an entry."""
    files = sorted({path for edge in graph.edges for path in edge})
    index = {path: number for number, path in enumerate(files)}
    imports: list[list[int]] = [[] for _ in files]
    for importer, imported in sorted(graph.edges):
        imports[index[importer]].append(index[imported])
    entry = _Entry(files, imports, [(u.path, u.reason) for u in graph.unparsed])
    try:
        location.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=location.parent, prefix=".", suffix=".part")
    except OSError:
        return  # a read-only repository still gets an answer, just not a remembered one
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(msgspec.json.encode(entry))
        Path(temporary).replace(location)
    except OSError:
        pass  # a full disk: the same, and the temporary file goes below
    finally:
        Path(temporary).unlink(missing_ok=True)  # already renamed away when all went well
    _prune(location.parent)


def _prune(folder: Path) -> None:
    with contextlib.suppress(OSError):  # another run may be pruning the same files
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[_KEEP_ENTRIES:]:
            stale.unlink(missing_ok=True)


# -- what a change reaches ----------------------------------------------------------------------


def dependents(edges: Iterable[Edge], changed_files: Iterable[str]) -> dict[str, list[str]]:
    """Every file that imports a changed file, directly or through other files, with the
    shortest chain that explains it: [the dependent, the file it imports, ..., a changed file].

    Changed files are not listed themselves; the nearest dependents come first.
    """
    importers: dict[str, list[str]] = {}
    for importer, imported in edges:
        importers.setdefault(imported, []).append(importer)
    changed = sorted(set(changed_files))
    towards: dict[str, str | None] = dict.fromkeys(changed)  # the next file on the chain
    queue = deque(changed)
    reached: list[str] = []
    # Breadth first from every changed file at once: the first visit is by a shortest chain.
    while queue:
        current = queue.popleft()
        for importer in sorted(importers.get(current, ())):
            if importer not in towards:
                towards[importer] = current
                reached.append(importer)
                queue.append(importer)
    return {path: _chain(path, towards) for path in reached}


def _chain(path: str, towards: dict[str, str | None]) -> list[str]:
    chain = [path]
    while (step := towards[chain[-1]]) is not None:
        chain.append(step)
    return chain


@dataclass(frozen=True)
class ComponentDependent:
    """A component that a change reaches through imports, and the chain that shows how."""

    component: Component
    chain: tuple[str, ...]  # the importing file first, the changed file last

    @property
    def tier(self) -> int | None:
        return self.component.tier

    @property
    def explanation(self) -> str:
        """Reads as: a.py imports b.py, which imports c.py."""
        first, second, *rest = self.chain
        return f"{first} imports {second}" + "".join(f", which imports {p}" for p in rest)


def component_dependents(
    catalog: Catalog, edges: Iterable[Edge], changed_files: Iterable[str]
) -> list[ComponentDependent]:
    """Components whose files import the changed files (directly or through other files) and
    that are not changed themselves, nearest first, each with its shortest import chain."""
    changed = set(changed_files)
    touched = {component.name for path in changed for component in catalog.components_of(path)}
    reached: dict[str, ComponentDependent] = {}
    for path, chain in dependents(edges, changed).items():
        for component in catalog.components_of(path):
            if component.name not in touched and component.name not in reached:
                reached[component.name] = ComponentDependent(component, tuple(chain))
    return list(reached.values())
