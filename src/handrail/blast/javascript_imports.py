"""JavaScript and TypeScript imports, read with tree-sitter and resolved like Node and bundlers.

An import is an `import … from "x"`, a bare `import "x"`, an `export … from "x"`, a
`require("x")` or a dynamic `import("x")`. Type-only imports and exports (`import type`) do
not count: they are erased before the code runs, as `if TYPE_CHECKING:` is in Python.

Specifiers resolve to files of the tree: relative ones (`./a`, `../b`) against the importer's
folder, bare ones (`@shop/payments`, `@shop/payments/api`) against the packages of the
repository (the `name` of each package.json: a monorepo's workspaces). A specifier may omit the
extension or name a folder (its `index`); TypeScript sources may be imported under their
compiled name (`./a.js` for `a.ts`). Anything else is a package from outside: not an edge.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from handrail.blast.imports import Edge, ImportGraph, UnparsedFile

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Query

# Bump when finding or resolving imports changes what a tree yields.
_RULES_VERSION = "1"
# In the order a bundler tries them for a specifier without an extension.
SOURCE_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_COMPILED_AS = {".js": (".ts", ".tsx"), ".mjs": (".mts",), ".cjs": (".cts",), ".jsx": (".tsx",)}
MANIFEST = "package.json"

_QUERY = """
(import_statement source: (string (string_fragment) @source)) @statement
(export_statement source: (string (string_fragment) @source)) @statement
(call_expression
  function: (identifier) @require (#eq? @require "require")
  arguments: (arguments . (string (string_fragment) @source) .))
(call_expression
  function: (import)
  arguments: (arguments . (string (string_fragment) @source)))
"""


class JavaScriptImports:
    """The JavaScript/TypeScript backend of the import graph, built on tree-sitter."""

    name = "javascript"

    @property
    def version(self) -> str:
        from importlib.metadata import version

        grammars = "-".join(
            version(g) for g in ("tree-sitter-javascript", "tree-sitter-typescript")
        )
        return f"{_RULES_VERSION}-{grammars}"

    def handles(self, path: str) -> bool:
        return path.endswith(SOURCE_EXTENSIONS) or posixpath.basename(path) == MANIFEST

    def stand_ins(self, path: str) -> Iterator[str]:
        """`./b` names `b.ts` when there is one, before the folder `b/`'s index."""
        stem, extension = posixpath.splitext(path)
        if extension in SOURCE_EXTENSIONS and posixpath.basename(stem) != "index":
            for index_extension in SOURCE_EXTENSIONS:
                yield f"{stem}/index{index_extension}"

    def rebuilds_on(self, path: str, added_or_removed: bool) -> bool:
        """A package.json names a package and its entry point: any import may move."""
        return posixpath.basename(path) == MANIFEST

    def edges(self, files: Mapping[str, bytes]) -> ImportGraph:
        present = set(files)
        unparsed: list[UnparsedFile] = []
        packages: dict[str, str] = {}  # package name → its folder
        entries: dict[str, str | None] = {}  # package name → the file `import "name"` loads
        for path in sorted(p for p in files if posixpath.basename(p) == MANIFEST):
            try:
                manifest = json.loads(files[path])
            except (ValueError, UnicodeDecodeError) as exc:
                unparsed.append(UnparsedFile(path, f"not valid JSON: {exc}"))
                continue
            name = manifest.get("name") if isinstance(manifest, dict) else None
            if isinstance(name, str) and name:
                packages[name] = posixpath.dirname(path)
                entries[name] = _entry(manifest, packages[name], present)
        edges: set[Edge] = set()
        for path, content in files.items():
            if posixpath.basename(path) == MANIFEST:
                continue
            specifiers, error = _specifiers(path, content)
            if error:
                unparsed.append(UnparsedFile(path, error))
            for specifier in specifiers:
                target = _resolve(path, specifier, present, packages, entries)
                if target is not None and target != path:
                    edges.add((path, target))
        return ImportGraph(frozenset(edges), tuple(sorted(unparsed, key=lambda u: u.path)))


def _join(folder: str, name: str) -> str:
    return posixpath.join(folder, name) if folder else name


@cache
def _parser_and_query(dialect: str) -> tuple[Parser, Query]:
    from tree_sitter import Language, Parser, Query

    if dialect == "javascript":
        import tree_sitter_javascript

        language = Language(tree_sitter_javascript.language())
    else:
        import tree_sitter_typescript

        grammar = {"tsx": tree_sitter_typescript.language_tsx}.get(
            dialect, tree_sitter_typescript.language_typescript
        )
        language = Language(grammar())
    return Parser(language), Query(language, _QUERY)


def _dialect(path: str) -> str:
    if path.endswith(".tsx"):
        return "tsx"
    if path.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"  # its grammar reads JSX too


def _specifiers(path: str, content: bytes) -> tuple[list[str], str | None]:
    """The module specifiers `path` imports at run time, and a parse problem if any."""
    from tree_sitter import QueryCursor

    parser, query = _parser_and_query(_dialect(path))
    tree = parser.parse(content)
    found = []
    for _, captures in QueryCursor(query).matches(tree.root_node):
        statement = captures.get("statement", [None])[0]
        if statement is not None and _type_only(statement):
            continue
        found.extend(node.text.decode("utf-8", "replace") for node in captures["source"])
    error = None
    if tree.root_node.has_error:
        line = _first_error_line(tree.root_node)
        error = f"syntax error at line {line}: imports after it may be missing"
    return found, error


def _type_only(statement: Node) -> bool:
    """`import type …` / `export type … from`: erased before the code runs."""
    return any(child.type == "type" for child in statement.children)


def _first_error_line(node: Node) -> int:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "ERROR" or current.is_missing:
            return current.start_point[0] + 1
        stack.extend(reversed([c for c in current.children if c.has_error or c.is_missing]))
    return node.start_point[0] + 1


def _entry(manifest: Any, folder: str, present: set[str]) -> str | None:
    """The file `import "package"` loads: `exports` ("." or the whole), `module`, `main`,
    else the folder's index."""
    candidates: list[Any] = []
    if isinstance(manifest, dict):
        exports = manifest.get("exports")
        if isinstance(exports, dict):
            exports = exports.get(".", exports)
        candidates += [exports, manifest.get("module"), manifest.get("main")]
    for candidate in candidates:
        while isinstance(candidate, dict):  # conditional exports: the first condition listed
            candidate = next(iter(candidate.values()), None)
        if isinstance(candidate, str):
            found = _file_for(posixpath.normpath(_join(folder, candidate)), present)
            if found is not None:
                return found
    return _file_for(folder or ".", present)


def _resolve(
    importer: str,
    specifier: str,
    present: set[str],
    packages: dict[str, str],
    entries: dict[str, str | None],
) -> str | None:
    if specifier.startswith(("./", "../")) or specifier in {".", ".."}:
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
        return None if base.startswith("../") else _file_for(base, present)
    for name, folder in packages.items():
        if specifier == name:
            return entries[name]
        if specifier.startswith(f"{name}/"):
            return _file_for(_join(folder, specifier[len(name) + 1 :]), present)
    return None  # a package from outside the repository


def _file_for(base: str, present: set[str]) -> str | None:
    """The file a specifier resolved to `base` loads: itself, with an extension added, its
    TypeScript source under a compiled name, or the folder's index."""
    base = "" if base == "." else base
    stem, extension = posixpath.splitext(base)
    candidates = [base] if extension else []
    candidates += [f"{stem}{source}" for source in _COMPILED_AS.get(extension, ())]
    candidates += [f"{base}{extension}" for extension in SOURCE_EXTENSIONS]
    candidates += [_join(base, f"index{extension}") for extension in SOURCE_EXTENSIONS]
    return next((c for c in candidates if c in present), None)
