"""What one file defines, read with the language's own parser: the unit the index caches.

A file's definitions never depend on its path (many paths share one blob), so Python names are
relative to the module (`func`, `Class.method`) and relative imports keep their level.
"""

from __future__ import annotations

import ast
import bisect
import configparser
import hashlib
import json
import re
import tomllib
from collections import deque
from collections.abc import Iterable, Iterator

import msgspec

# (kind, name, 1-based line, signature digest, body digest). Kinds: function, class, method,
# attribute, flag, command, env, config, make, program. Digests are "" where they mean nothing.
Definition = tuple[str, str, int, str, str]
# (local name, import level, module, imported name); name "" for `import m`, "*" for a star.
Import = tuple[str, int, str, str]

CONFIG_SIZE_LIMIT = 512 * 1024
_CONFIG_DEPTH = 6


class FileSymbols(msgspec.Struct, array_like=True, frozen=True):
    definitions: list[Definition]
    imports: list[Import] = []


EMPTY = FileSymbols([])


def language_of(path: str) -> str | None:
    """Which reader understands this file, by its name; None for files we do not index."""
    # String operations, not PurePosixPath: this runs over every file of every baseline tree.
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""
    if suffix in {".py", ".pyi"}:
        return "python"
    if suffix in {".sh", ".bash"}:
        return "shell"
    if name in {"Makefile", "GNUmakefile", "makefile"} or suffix == ".mk":
        return "make"
    if suffix == ".toml":
        return "toml"
    if suffix in {".yaml", ".yml"}:
        return "yaml"
    if suffix == ".json" and not name.endswith("-lock.json"):
        return "json"
    if suffix in {".ini", ".cfg"}:
        return "ini"
    return None


def read(language: str, content: bytes) -> FileSymbols:
    """The definitions in one file; a file that does not parse defines nothing."""
    if language == "script":  # a file without a suffix: a Python script says so first
        first_line = content[: content.find(b"\n")] if b"\n" in content else content
        if not (first_line.startswith(b"#!") and b"python" in first_line):
            return EMPTY
        language = "python"
    text = content.decode("utf-8", "replace")
    if language == "python":
        return _python(text)
    if language == "shell":
        return _shell(text)
    if language == "make":
        return FileSymbols(list(_make_targets(text)))
    if len(content) > CONFIG_SIZE_LIMIT:
        return EMPTY
    return FileSymbols(list(_config(language, text)))


def read_many(batch: list[tuple[str, bytes]]) -> list[FileSymbols]:
    """`read` for a batch of (language, content): a worker process's share."""
    return [read(language, content) for language, content in batch]


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# -- Python ---------------------------------------------------------------------------------

_OPTION_FACTORIES = {"option", "Option", "add_argument", "argument", "Argument"}
_COMMAND_FACTORIES = {"command", "group", "add_parser", "Typer"}
_ENV_READERS = {"getenv", "get", "setdefault", "pop", "environ"}
# Every name `calls` can react to. A node whose lines hold none of them cannot match, so its
# whole subtree is skipped: walking every expression of a big module costs more than parsing it.
CALL_WORDS = re.compile(
    r"\b(?:"
    + "|".join(
        sorted(
            _OPTION_FACTORIES
            | _COMMAND_FACTORIES
            | _ENV_READERS
            | {"getattr", "envvar", "dest", "prog", "callback"}
        )
    )
    + r")\b"
)
# Per reference kind, the calls whose string arguments define it, and the keyword argument
# that does (`envvar="X"` in click, `dest="x"` in argparse).
DEFINING_CALLS: dict[str, frozenset[str]] = {
    "flag": frozenset(_OPTION_FACTORIES),
    "command": frozenset(_COMMAND_FACTORIES),
    "env": frozenset(_ENV_READERS),
    "config": frozenset({"get", "getattr"}),
}
DEFINING_KEYWORDS: dict[str, str] = {"env": "envvar", "config": "dest"}


def _python(text: str) -> FileSymbols:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return EMPTY
    lines = text.splitlines()
    reader = _PythonReader(lines)
    reader.module(tree.body)
    reader.calls(tree, _lines_with_call_words(text))
    return FileSymbols(reader.definitions, reader.imports)


class _PythonReader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.definitions: list[Definition] = []
        self.imports: list[Import] = []

    def _segment(self, first: int, last: int) -> str:
        return "\n".join(line.strip() for line in self.lines[first - 1 : last])

    def _define(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, kind: str, name: str
    ) -> None:
        body_start = node.body[0].lineno if node.body else node.lineno + 1
        # What a doc relies on is how to call it: parameter names, kinds and defaults; not
        # annotations, decorators or the body.
        signature = _digest(_parameters(node.args)) if not isinstance(node, ast.ClassDef) else ""
        body = _digest(self._segment(body_start, node.end_lineno or body_start))
        self.definitions.append((kind, name, node.lineno, signature, body))

    def module(self, body: list[ast.stmt], prefix: str = "", in_class: bool = False) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                kind = "method" if in_class else "function"
                self._define(node, kind, prefix + node.name)
                if in_class:
                    self._instance_attributes(node, prefix)
            elif isinstance(node, ast.ClassDef):
                self._define(node, "class", prefix + node.name)
                self.module(node.body, f"{prefix}{node.name}.", in_class=True)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for name in _assigned_names(targets):
                    self.definitions.append(("attribute", prefix + name, node.lineno, "", ""))
            elif isinstance(node, ast.Import | ast.ImportFrom) and not prefix:
                self._import(node)
            elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
                # Conditional definitions (version checks, optional imports) still define.
                for block in _blocks(node):
                    self.module(block, prefix, in_class)

    def _instance_attributes(
        self, method: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str
    ) -> None:
        for node in _statements(method.body):
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        self.definitions.append(
                            ("attribute", prefix + target.attr, node.lineno, "", "")
                        )

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                module = alias.name if alias.asname else alias.name.split(".")[0]
                self.imports.append((local, 0, module, ""))
            return
        for alias in node.names:
            local = "*" if alias.name == "*" else alias.asname or alias.name
            self.imports.append((local, node.level, node.module or "", alias.name))

    def calls(self, tree: ast.Module, lines: list[int]) -> None:
        """Command-line options, subcommands and environment reads, wherever they are (only
        nodes spanning one of `lines` can be one)."""
        for node in _walk_spanning(tree, lines):
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Subscript) and _is_environ(node.value):
                key = _string(node.slice)
                if key:
                    self.definitions.append(("env", key, node.lineno, "", ""))
            elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
                key = _string(node.left)
                if key:
                    self.definitions.append(("env", key, node.lineno, "", ""))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._typer_parameters(node)

    def _call(self, node: ast.Call) -> None:
        name = _callee(node.func)
        strings = [s for argument in node.args for s in _strings(argument)]
        if name in _OPTION_FACTORIES:
            for text in strings:
                for flag in text.split("/"):
                    if flag.startswith("-"):
                        self.definitions.append(("flag", flag.strip(), node.lineno, "", ""))
                        if (
                            name == "add_argument"
                            and _keyword(node, "action") == "BooleanOptionalAction"
                        ):
                            self.definitions.append(
                                ("flag", "--no-" + flag.lstrip("-"), node.lineno, "", "")
                            )
        elif name in _COMMAND_FACTORIES and strings:
            self.definitions.append(("command", strings[0], node.lineno, "", ""))
        elif (
            name in _ENV_READERS
            and strings
            and (name == "getenv" or _is_environ(getattr(node.func, "value", None)))
        ):
            self.definitions.append(("env", strings[0], node.lineno, "", ""))
        elif name in {"get", "getattr"} and strings:
            self.definitions.append(("config", strings[0], node.lineno, "", ""))
        for keyword in node.keywords:
            if keyword.arg == "envvar":
                for value in _strings(keyword.value):
                    self.definitions.append(("env", value, node.lineno, "", ""))
            elif keyword.arg in {"dest", "prog"}:
                for value in _strings(keyword.value):
                    kind = "config" if keyword.arg == "dest" else "program"
                    self.definitions.append((kind, value, node.lineno, "", ""))

    def _typer_parameters(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # Click and typer name commands and options after the function and its parameters.
        decorators = [_callee(d.func) for d in node.decorator_list if isinstance(d, ast.Call)]
        decorated = any(d in {"command", "group", "callback"} for d in decorators)
        if decorated:
            self.definitions.append(("command", node.name.replace("_", "-"), node.lineno, "", ""))
            self.definitions.append(("command", node.name, node.lineno, "", ""))
        arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        defaults = [*node.args.defaults, *node.args.kw_defaults]
        for argument, default in zip(reversed(arguments), reversed(defaults), strict=False):
            typer_option = isinstance(default, ast.Call) and _callee(default.func) == "Option"
            if (decorated or typer_option) and not (
                typer_option and any(s.startswith("-") for s in map(_string, default.args) if s)
            ):
                flag = "--" + argument.arg.replace("_", "-")
                self.definitions.append(("flag", flag, node.lineno, "", ""))
                self.definitions.append(("flag", "--no-" + flag[2:], node.lineno, "", ""))


def _parameters(arguments: ast.arguments) -> str:
    names = [a.arg for a in arguments.posonlyargs] + ["/"] + [a.arg for a in arguments.args]
    names.append(f"*{arguments.vararg.arg}" if arguments.vararg else "*")
    names += [a.arg for a in arguments.kwonlyargs]
    names.append(f"**{arguments.kwarg.arg}" if arguments.kwarg else "")
    defaults = [ast.unparse(d) for d in [*arguments.defaults, *arguments.kw_defaults] if d]
    return ",".join(names) + "=" + ",".join(defaults)


def _lines_with_call_words(text: str) -> list[int]:
    """The 1-based numbers of the lines holding a word `calls` reacts to, ascending."""
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    return sorted({bisect.bisect_right(starts, m.start()) for m in CALL_WORDS.finditer(text)})


def _walk_spanning(tree: ast.AST, lines: list[int]) -> Iterator[ast.AST]:
    """`ast.walk`, less the subtrees whose lines (decorators included) hold none of `lines`."""
    queue = deque([tree])
    while queue:
        node = queue.popleft()
        first = getattr(node, "lineno", None)
        if first is not None:
            decorators = getattr(node, "decorator_list", None)
            if decorators:
                first = min(first, *(d.lineno for d in decorators))
            last = getattr(node, "end_lineno", None) or first
            position = bisect.bisect_left(lines, first)
            if position == len(lines) or lines[position] > last:
                continue
        yield node
        queue.extend(ast.iter_child_nodes(node))


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in `body`, nested blocks included (assignments are never expressions)."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                yield from _statements(block)
        for holder in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
            yield from _statements(holder.body)


def _blocks(node: ast.If | ast.Try | ast.With | ast.For | ast.While) -> Iterator[list[ast.stmt]]:
    yield node.body
    if isinstance(node, ast.If | ast.For | ast.While | ast.Try):
        yield node.orelse
    if isinstance(node, ast.Try):
        yield node.finalbody
        for handler in node.handlers:
            yield handler.body


def _assigned_names(targets: Iterable[ast.expr]) -> Iterator[str]:
    for target in targets:
        if isinstance(target, ast.Name):
            yield target.id
        elif isinstance(target, ast.Tuple | ast.List):
            yield from _assigned_names(target.elts)


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_environ(node: ast.expr | None) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _string(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _strings(node: ast.expr) -> list[str]:
    items = node.elts if isinstance(node, ast.List | ast.Tuple) else [node]
    return [s for s in map(_string, items) if s]


def _keyword(node: ast.Call, name: str) -> str | None:
    for keyword in node.keywords:
        if keyword.arg == name:
            return _callee(keyword.value) or _string(keyword.value)
    return None


# -- shell, make, configuration ----------------------------------------------------------------


def _shell(text: str) -> FileSymbols:
    from handrail.docs import shell

    root = shell.parse(text)
    found: list[Definition] = [("flag", f, line + 1, "", "") for f, line in shell.case_flags(root)]
    found += [("function", f, line + 1, "", "") for f, line in shell.functions(root)]
    found += [("env", v, line + 1, "", "") for v, line in shell.expansions(root) if not v.isdigit()]
    return FileSymbols(found)


def _make_targets(text: str) -> Iterator[Definition]:
    """Rule targets: a Makefile line `targets: prerequisites` that is not a recipe or assignment."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("\t") or line.lstrip().startswith("#"):
            continue
        head, colon, rest = line.partition(":")
        if not colon or rest.startswith("=") or any(op in head for op in ("=", "$(", "%")):
            continue
        for target in head.split():
            if target == ".PHONY":
                yield from (("make", t, number, "", "") for t in rest.split("#")[0].split())
            elif not target.startswith("."):
                yield ("make", target, number, "", "")


def _config(language: str, text: str) -> Iterator[Definition]:
    try:
        data = _load_config(language, text)
    except Exception:  # any parser's error: an unreadable file defines nothing
        return
    yield from (("config", key, 1, "", "") for key in sorted(set(key_paths(data))))
    if language == "toml" and isinstance(data, dict):
        scripts = data.get("project", {}).get("scripts", {})
        poetry = data.get("tool", {}).get("poetry", {}).get("scripts", {})
        for table in (scripts, poetry):
            if isinstance(table, dict):
                yield from (("program", str(name), 1, "", "") for name in table)
    if language == "ini" and isinstance(data, dict):
        entry_points = data.get("options.entry_points", {}).get("console_scripts", "")
        for line in str(entry_points).splitlines():
            name = line.partition("=")[0].strip()
            if name:
                yield ("program", name, 1, "", "")


def _load_config(language: str, text: str) -> object:
    if language == "toml":
        return tomllib.loads(text)
    if language == "json":
        return json.loads(text)
    if language == "yaml":
        import yaml

        return list(yaml.safe_load_all(text))
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    return {section: dict(parser[section]) for section in parser.sections()}


def key_paths(data: object, prefix: str = "", depth: int = 0) -> Iterator[str]:
    """Every dotted key path in parsed configuration (lists are looked through)."""
    if depth > _CONFIG_DEPTH:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}{key}"
            yield path
            yield from key_paths(value, path + ".", depth + 1)
    elif isinstance(data, list):
        for item in data[:50]:
            yield from key_paths(item, prefix, depth + 1)
