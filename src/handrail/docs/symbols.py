"""The symbol index of a repository at a revision: definitions, never mere mentions.

Each file is read once per blob id (`definitions.read`) and remembered under
`<git-dir>/handrail/docs/`, so a warm run and an index of an older commit only read the files
that changed. The index answers "does the code define this?" for every kind of reference.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from handrail import git
from handrail.docs import cache, definitions, shell
from handrail.docs.definitions import Definition, FileSymbols, language_of, read_many
from handrail.docs.parallel import spread

# Below this many new files, starting worker processes costs more than it saves.

# The Python names a definition can be looked up by.
PYTHON_KINDS = frozenset({"function", "class", "method", "attribute"})
_DOTTED_KINDS = PYTHON_KINDS | {"symbol", "config"}


@dataclass(frozen=True)
class Located:
    """A definition and the file that holds it."""

    path: str
    kind: str
    name: str  # fully qualified for Python (`pkg.mod.Class.method`), as written otherwise
    local: str  # the name as its file records it (`Class.method`)
    line: int
    signature: str
    body: str


class BlobSymbols:
    """Per-blob definitions, read from the cache or parsed (in parallel when there are many)."""

    def __init__(self, repo: git.RepoInfo) -> None:
        self.repo = repo
        self._location = cache.location(repo, "symbols", (definitions, shell))
        self._entries: dict[str, FileSymbols] = cache.load(self._location, FileSymbols)
        self._dirty = False

    def get(self, items: Iterable[tuple[str, str]]) -> dict[str, FileSymbols]:
        """{blob id: symbols} for (path, blob id) pairs whose path names an indexed language,
        or that may be a script (`bin/test`: no suffix; read as Python when it says so)."""
        wanted = {blob: language for path, blob in items if (language := _language(path))}
        missing = [(f"{lang}:{blob}", blob, lang) for blob, lang in wanted.items()]
        missing = [m for m in missing if m[0] not in self._entries]
        if missing:
            contents = dict(git.read_blobs(self.repo, [blob for _, blob, _ in missing]))
            parsed = _parse_all([(lang, contents[blob]) for _, blob, lang in missing])
            for (key, _, _), symbols in zip(missing, parsed, strict=True):
                self._entries[key] = symbols
            self._dirty = True
        return {blob: self._entries[f"{lang}:{blob}"] for blob, lang in wanted.items()}

    def cached(self, path: str, blob: str) -> bool:
        return f"{_language(path)}:{blob}" in self._entries

    def save(self) -> None:
        if self._dirty:
            cache.save(self._location, self._entries)
            self._dirty = False


def _language(path: str) -> str | None:
    """The reader for a path: by its name, or `script` for a file without a suffix."""
    language = language_of(path)
    if language is None and "." not in path.rpartition("/")[2]:
        return "script"
    return language


def _parse_all(batch: list[tuple[str, bytes]]) -> list[FileSymbols]:
    return spread(read_many, batch, lambda item: len(item[1]))


def module_names(paths: Iterable[str]) -> dict[str, str]:
    """{dotted module: path} for the Python files among `paths`, packages found by __init__.py."""
    # String operations, not PurePosixPath: this runs over every file of every baseline tree.
    paths = [p for p in paths if p.endswith((".py", ".pyi"))]
    packages = {_parent(p) for p in paths if _stem(p) == "__init__"}
    modules: dict[str, str] = {}
    for path in paths:
        stem = _stem(path)
        parts = [] if stem == "__init__" else [stem]
        folder = _parent(path)
        while folder in packages:
            parts.insert(0, folder.rpartition("/")[2])
            folder = _parent(folder)
        if parts and all(part.isidentifier() for part in parts):
            # A .py and its .pyi stub are one module: keep the source.
            if path.endswith(".pyi"):
                modules.setdefault(".".join(parts), path)
            else:
                modules[".".join(parts)] = path
    return modules


def leaf_name(kind: str, name: str) -> str:
    """The last part of a dotted name (a Python definition, a symbol or config reference);
    other names are whole."""
    return name.rpartition(".")[2] if kind in _DOTTED_KINDS else name


def folders(paths: Iterable[str]) -> set[str]:
    """Every folder holding one of `paths` (at any depth), the root left out."""
    found: set[str] = set()
    for path in paths:
        folder = _parent(path)
        while folder != "." and folder not in found:
            found.add(folder)
            folder = _parent(folder)
    return found


def _parent(path: str) -> str:
    return path.rpartition("/")[0] or "."


def _stem(path: str) -> str:
    return path.rpartition("/")[2].rpartition(".")[0]


@dataclass
class SymbolIndex:
    """Everything the code at one revision defines, by the names docs use for it."""

    paths: frozenset[str]
    dirs: frozenset[str]
    modules: dict[str, str]  # dotted module -> path
    packages: frozenset[str]  # top-level names of the repository's own modules
    python: dict[str, Located] = field(default_factory=dict)  # qualified name -> definition
    short: dict[str, list[Located]] = field(default_factory=dict)  # last name part -> defs
    named: dict[tuple[str, str], list[Located]] = field(default_factory=dict)  # (kind, name)
    exports: dict[str, dict[str, str]] = field(default_factory=dict)  # module -> local -> target
    stars: dict[str, list[str]] = field(default_factory=dict)
    config_suffixes: frozenset[str] = frozenset()

    def defines(self, kind: str, name: str) -> list[Located]:
        return self.named.get((kind, name), [])

    def kinds(self, kind: str) -> Iterator[str]:
        return (name for k, name in self.named if k == kind)


def build_index(
    paths: Sequence[tuple[str, str]],
    symbols: dict[str, FileSymbols],
    names: Collection[str] | None = None,
    imports: bool = True,
) -> SymbolIndex:
    """The index of a tree given as (path, blob id) pairs, from per-blob symbols; with `names`,
    only of the definitions whose last dotted part is one of them; without `imports`, no
    re-exports (for looking names up where they are defined, not resolving them)."""
    all_paths = [path for path, _ in paths]
    dirs = folders(all_paths)
    modules = module_names(all_paths)
    module_of = {path: module for module, path in modules.items()}
    packages = {m.split(".")[0] for m in modules if "." in m or _top_level(modules[m])}
    index = SymbolIndex(frozenset(all_paths), frozenset(dirs), modules, frozenset(packages))
    suffixes: set[str] = set()
    for path, blob in paths:
        found = symbols.get(blob)
        if found is None:
            continue
        module = module_of.get(path)
        for definition in found.definitions:
            if names is None or leaf_name(definition[0], definition[1]) in names:
                _add(index, path, module, definition, suffixes)
        if imports and module is not None:
            _add_imports(index, module, path, found)
    index.config_suffixes = frozenset(suffixes)
    return index


def _top_level(path: str) -> bool:
    # A lone module at the root or in src/ is the project's own (`flask.py` of old Flask).
    parent = str(PurePosixPath(path).parent)
    return parent in {".", "src", "lib"}


def _add(
    index: SymbolIndex, path: str, module: str | None, d: Definition, suffixes: set[str]
) -> None:
    kind, name, line, signature, body = d
    if kind in PYTHON_KINDS:
        qualified = f"{module}.{name}" if module else name
        located = Located(path, kind, qualified, name, line, signature, body)
        if module:
            index.python.setdefault(qualified, located)
        index.short.setdefault(name.rpartition(".")[2], []).append(located)
        return
    located = Located(path, kind, name, name, line, signature, body)
    index.named.setdefault((kind, name), []).append(located)
    if kind == "config":
        parts = name.split(".")
        suffixes.update(".".join(parts[i:]) for i in range(len(parts)))


def _add_imports(index: SymbolIndex, module: str, path: str, found: FileSymbols) -> None:
    package = module if PurePosixPath(path).stem == "__init__" else module.rpartition(".")[0]
    for local, level, source, name in found.imports:
        base = source
        if level:
            parts = package.split(".") if package else []
            parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
            base = ".".join([*parts, source] if source else parts)
        if name == "*":
            index.stars.setdefault(module, []).append(base)
        else:
            index.exports.setdefault(module, {})[local] = f"{base}.{name}" if name else base


def index_at(repo: git.RepoInfo, rev: str, blobs: BlobSymbols) -> SymbolIndex:
    """The symbol index of the tree `rev` records."""
    paths = git.list_blobs(repo, rev)
    return build_index(paths, blobs.get(paths))
