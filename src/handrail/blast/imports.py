"""Import graphs: which file imports which, and what a change reaches through them.

Each language is a backend behind a small protocol. A backend reads the files of one commit,
given to it in memory from git's object store (never the work tree, so a bare repository works
as well). Its edges are cached under `<git-dir>/handrail/imports/`, keyed by
backend, backend version and the commit's tree id: equal trees hold equal files, so any commit
that records the same tree reuses the entry, and any change to a file makes a new key.

A pull request's head is a new tree each time, but its base's graph is usually cached: the head's
graph is then derived from it by re-reading only the files the difference can affect (see
`_derive`), which on a large repository is a fraction of reading every file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
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

    # The edges among `files` (path → content). Which file an import names may depend on which
    # files exist, never on what the other files hold.
    def edges(self, files: Mapping[str, bytes]) -> ImportGraph: ...

    # The files an import of `path` resolves to while `path` does not exist (for Python, the
    # enclosing packages' __init__.py): adding `path` may move those imports onto it.
    def stand_ins(self, path: str) -> Iterable[str]: ...

    # Whether changing `path` (adding or removing it, when `added_or_removed`) can move imports
    # beyond its stand-ins: a manifest naming packages, a file that makes a folder a package.
    # Then the graph is built anew rather than derived. A file whose mere editing does (a
    # manifest) is read for resolution even where it is not re-read for its own imports.
    def rebuilds_on(self, path: str, added_or_removed: bool) -> bool: ...


def default_backends() -> tuple[ImportBackend, ...]:
    # Imported here because the backends import this module's types.
    from handrail.blast.javascript_imports import JavaScriptImports
    from handrail.blast.python_imports import PythonImports

    return (PythonImports(), JavaScriptImports())


def cache_folder(repo: git.RepoInfo) -> Path:
    return repo.git_dir / "handrail" / "imports"


def import_graph(
    repo: git.RepoInfo,
    rev: str = "HEAD",
    backends: Sequence[ImportBackend] | None = None,
    *,
    near: str | None = None,
) -> ImportGraph:
    """The import graph of the files `rev` records, built only for backends the cache lacks.

    `near` names a revision close to `rev` (a change's base): where its graph is cached and
    `rev`'s is not, `rev`'s is derived from it rather than built from every file.
    """
    tree = git.tree_id(repo, rev)
    near_tree = git.tree_id(repo, near) if near is not None else None
    graphs: list[ImportGraph] = []
    missing: dict[Path, ImportBackend] = {}
    derivable: dict[Path, tuple[ImportBackend, ImportGraph]] = {}
    for backend in backends if backends is not None else default_backends():
        entry = _entry_path(repo, backend, tree)
        cached = _read_entry(entry)
        if cached is not None:
            graphs.append(cached)
            continue
        near_graph = _read_entry(_entry_path(repo, backend, near_tree)) if near_tree else None
        if near_graph is None:
            missing[entry] = backend
        else:
            derivable[entry] = (backend, near_graph)
    blobs = None  # listed once, for whichever backends need the tree's files
    if derivable:
        assert near_tree is not None
        changes = git.changed_paths(repo, near_tree, tree)
        blobs = _blobs(repo, tree)
        for entry, (backend, near_graph) in derivable.items():
            graph = _derive(repo, blobs, backend, near_graph, changes)
            if graph is None:
                missing[entry] = backend
                continue
            _write_entry(entry, graph)
            graphs.append(graph)
    if missing:
        blobs = _blobs(repo, tree) if blobs is None else blobs
        built = _build(repo, blobs, list(missing.values()))
        for entry, graph in zip(missing, built, strict=True):
            _write_entry(entry, graph)
            graphs.append(graph)
    return ImportGraph(
        frozenset().union(*(graph.edges for graph in graphs)),
        tuple(unparsed for graph in graphs for unparsed in graph.unparsed),
    )


def _entry_path(repo: git.RepoInfo, backend: ImportBackend, tree: str) -> Path:
    return cache_folder(repo) / f"{backend.name}-{backend.version}-{tree}.json"


def _blobs(repo: git.RepoInfo, tree: str) -> list[tuple[str, str]]:
    return [
        (path, blob)
        for path, blob in git.list_blobs(repo, tree)
        # A crafted tree may name "../x": git refuses to check that out, and so do we.
        if ".." not in PurePosixPath(path).parts
    ]


def _build(
    repo: git.RepoInfo, blobs: list[tuple[str, str]], backends: list[ImportBackend]
) -> list[ImportGraph]:
    files = [[path for path, _ in blobs if backend.handles(path)] for backend in backends]
    contents = _contents(repo, blobs, set().union(*files))
    return [
        backend.edges({path: contents[path] for path in handled})
        for backend, handled in zip(backends, files, strict=True)
    ]


def _derive(
    repo: git.RepoInfo,
    tree_blobs: list[tuple[str, str]],
    backend: ImportBackend,
    near: ImportGraph,
    changes: Sequence[tuple[str, str | None]],
) -> ImportGraph | None:
    """The graph of a tree (its files: `tree_blobs`) from the graph of a nearby tree and the
    (path, old path) changes between them; None when the changes call for building it anew.

    Only importers whose edges can differ are read again: the changed files, the importers of
    files that are gone (their imports now resolve elsewhere) and the importers of the stand-ins
    of new files (their imports may now resolve to the new file). Every other file of the tree
    is given empty, so that the backend resolves names against exactly the tree's files.
    """
    blobs = [(path, blob) for path, blob in tree_blobs if backend.handles(path)]
    present = {path for path, _ in blobs}
    known = {path for edge in near.edges for path in edge} | {u.path for u in near.unparsed}
    importers: dict[str, set[str]] = {}
    for importer, imported in near.edges:
        importers.setdefault(imported, set()).add(importer)
    changed = {p for path, old in changes for p in (path, old) if p and backend.handles(p)}
    gone = changed - present
    # A file the nearby graph never mentions may be new: over-reading is safe, missing is not.
    new = {path for path in changed & present if path not in known}
    if any(backend.rebuilds_on(path, path in new | gone) for path in changed):
        return None
    moved_targets = gone | {s for path in new for s in backend.stand_ins(path)}
    affected = present & (
        changed | {importer for target in moved_targets for importer in importers.get(target, ())}
    )
    resolving = {path for path in present if backend.rebuilds_on(path, False)}
    reread = backend.edges(
        dict.fromkeys(present, b"") | _contents(repo, blobs, affected | resolving)
    )
    kept = {
        (importer, imported)
        for importer, imported in near.edges
        if importer not in affected and importer in present and imported in present
    }
    unparsed = [u for u in near.unparsed if u.path in present and u.path not in affected]
    unparsed += [u for u in reread.unparsed if u.path in affected]
    return ImportGraph(
        frozenset(kept | {edge for edge in reread.edges if edge[0] in affected}),
        tuple(sorted(unparsed, key=lambda u: u.path)),
    )


def _contents(
    repo: git.RepoInfo, blobs: Sequence[tuple[str, str]], wanted: set[str]
) -> dict[str, bytes]:
    """The content of each `wanted` file of `blobs`, each blob read once (many files share one,
    such as empty __init__.py files)."""
    paths_of: dict[str, list[str]] = {}
    for path, blob in blobs:
        if path in wanted:
            paths_of.setdefault(blob, []).append(path)
    return {
        path: content for blob, content in git.read_blobs(repo, paths_of) for path in paths_of[blob]
    }


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
