"""reStructuredText read with docutils, taught the Sphinx roles and directives docs use for code.

Sphinx itself is not needed: its Python-domain roles (`:func:`, `:class:` …) become literal nodes
tagged with the role, its code directives become literal blocks, and the rest pass their content
through so that references inside notes and version markers are still seen.
"""

from __future__ import annotations

import contextlib
import io
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from handrail.docs.extract import Document, _Collector

SYMBOL_ROLES = frozenset(
    [
        "func",
        "meth",
        "class",
        "mod",
        "attr",
        "obj",
        "data",
        "exc",
        "const",
        "function",
        "method",
        "module",
        "attribute",
        "exception",
        "property",
        "type",
    ]
)
OTHER_ROLES = frozenset({"envvar", "option", "file", "doc", "ref", "program", "command", "any"})
# Sphinx directives that describe an object named by their argument.
OBJECT_DIRECTIVES = frozenset(
    [
        "autofunction",
        "autoclass",
        "automethod",
        "automodule",
        "autodata",
        "autoexception",
        "autoattribute",
        "autoproperty",
        "function",
        "class",
        "method",
        "module",
        "currentmodule",
        "data",
        "exception",
        "attribute",
        "staticmethod",
        "classmethod",
        "decorator",
    ]
)
CODE_DIRECTIVES = frozenset({"code-block", "sourcecode", "code", "ipython", "jupyter-execute"})
PYTHON_DIRECTIVES = frozenset({"doctest", "testcode", "testsetup", "testcleanup", "plot"})
PASS_THROUGH = frozenset(
    [
        "versionadded",
        "versionchanged",
        "deprecated",
        "versionremoved",
        "seealso",
        "only",
        "glossary",
        "tabularcolumns",
        "index",
        "highlight",
        "literalinclude",
        "graphviz",
        "autosummary",
        "todo",
        "centered",
        "hlist",
        "productionlist",
        "sectionauthor",
        "moduleauthor",
        "codeauthor",
        "toctree",
        "testoutput",
        "tab",
        "tabs",
        "tab-set",
        "tab-item",
        "dropdown",
        "card",
        "grid",
        "grid-item-card",
        "mermaid",
    ]
)


@cache
def _register() -> None:
    """Teach docutils the Sphinx vocabulary (process-wide, once)."""
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives, roles

    def role(
        name: str, rawtext: str, text: str, lineno: int, inliner: Any, *_: Any, **__: Any
    ) -> tuple[list[Any], list[Any]]:
        node = nodes.literal(rawtext, text)
        # docutils gives the line its paragraph starts on; the text is searched from there.
        node["role"], node["start"] = name.rpartition(":")[2], lineno
        return [node], []

    for name in SYMBOL_ROLES | OTHER_ROLES:
        roles.register_local_role(name, role)
        roles.register_local_role(f"py:{name}", role)

    class ObjectDirective(Directive):
        optional_arguments = 1
        final_argument_whitespace = True
        has_content = True
        option_spec: ClassVar[Any] = None

        def run(self) -> list[Any]:
            node = nodes.literal("", self.arguments[0] if self.arguments else "")
            node["role"], node["line"] = self.name.rpartition(":")[2], self.lineno
            container = nodes.container()
            container += nodes.paragraph("", "", node)
            for offset, line in enumerate(self.content):
                # `:members: a, b` of an autodoc directive names attributes of its argument.
                if line.strip().startswith(":members:") and self.arguments:
                    for member in line.partition(":members:")[2].split(","):
                        if member.strip():
                            named = nodes.literal("", f"{self.arguments[0]}.{member.strip()}")
                            named["role"] = "obj"
                            named["line"] = self.content_offset + offset + 1
                            container += nodes.paragraph("", "", named)
            self.state.nested_parse(self.content, self.content_offset, container)
            return [container]

    class CodeDirective(Directive):
        optional_arguments = 1
        has_content = True
        option_spec: ClassVar[Any] = None

        def run(self) -> list[Any]:
            language = self.arguments[0] if self.arguments else ""
            if self.name in PYTHON_DIRECTIVES:
                language = "python"
            block = nodes.literal_block("\n".join(self.content), "\n".join(self.content))
            block["language"], block["line"] = language, self.content_offset + 1
            return [block]

    class PassThrough(Directive):
        optional_arguments = 1
        final_argument_whitespace = True
        has_content = True
        option_spec: ClassVar[Any] = None

        def run(self) -> list[Any]:
            container = nodes.container()
            if self.name == "literalinclude" and self.arguments:
                node = nodes.literal("", self.arguments[0])
                node["role"], node["line"] = "file", self.lineno
                container += nodes.paragraph("", "", node)
            elif self.name in {"toctree", "autosummary"}:
                role = "doc" if self.name == "toctree" else "obj"
                for offset, entry in enumerate(self.content):
                    entry = entry.strip()
                    if entry and not entry.startswith(":"):
                        node = nodes.literal("", entry)
                        node["role"], node["line"] = role, self.content_offset + offset + 1
                        container += nodes.paragraph("", "", node)
            else:
                self.state.nested_parse(self.content, self.content_offset, container)
            return [container]

    for name in OBJECT_DIRECTIVES:
        directives.register_directive(name, ObjectDirective)
        directives.register_directive(f"py:{name}", ObjectDirective)
    for name in CODE_DIRECTIVES | PYTHON_DIRECTIVES:
        directives.register_directive(name, CodeDirective)
    for name in PASS_THROUGH:
        directives.register_directive(name, PassThrough)


def read_rst(document: Document, text: str, collect: _Collector) -> None:
    from docutils import nodes
    from docutils.core import publish_doctree
    from docutils.utils import SystemMessage

    _register()
    try:
        tree = publish_doctree(
            text,
            source_path=document.path,
            settings_overrides={
                "report_level": 5,
                "halt_level": 5,
                "warning_stream": io.StringIO(),
                "file_insertion_enabled": False,
                "raw_enabled": False,
                "input_encoding": "unicode",
            },
        )
    except (SystemMessage, ValueError, AttributeError, IndexError, KeyError):
        return  # docutils gave up on this document: it names nothing we can trust
    lines = text.splitlines()
    module = ""
    for node in tree.findall(nodes.Element):
        if isinstance(node, nodes.system_message | nodes.problematic):
            continue
        if isinstance(node, nodes.field) and node.children:
            _field(document, node)
        elif isinstance(node, nodes.literal):
            line = node.get("line") or _line_of(node, lines, node.get("start"))
            role = node.get("role")
            if role in {"module", "currentmodule", "automodule"}:  # each sets the module
                module = node.astext().strip()
            _literal(collect, node.astext(), role, line, module)
        elif isinstance(node, nodes.literal_block):
            line = node.get("line") or node.line or _line_of(node, lines)
            language = node.get("language") or next(
                (c for c in node.get("classes", []) if c != "code"), ""
            )
            collect.code(language, node.astext(), line)
        elif isinstance(node, nodes.doctest_block):
            collect.code("pycon", node.astext(), node.line or _line_of(node, lines))
        elif isinstance(node, nodes.reference) and node.get("refuri"):
            collect.link(node["refuri"], _line_of(node, lines))


def _field(document: Document, node: Any) -> None:
    import datetime

    name, body = node.children[0].astext().strip().lower(), node.children[-1].astext().strip()
    if name == "reviewed":
        with contextlib.suppress(ValueError):  # not a date: the doc counts as never reviewed
            document.reviewed = datetime.date.fromisoformat(body)


def _literal(collect: _Collector, text: str, role: str | None, line: int, module: str) -> None:
    if role is None:
        collect.inline(text, line)
        return
    target = text.rpartition("<")[2].rstrip(">").strip() if text.endswith(">") else text.strip()
    if role in SYMBOL_ROLES or role in OBJECT_DIRECTIVES or role == "obj":
        target = target.lstrip("~!.").removesuffix("()")
        if role.startswith("auto") and "." not in target and module:
            target = f"{module}.{target}"
        collect.name(target, line, explicit=True)
    elif role == "envvar":
        collect.add(line, text, "env", target, explicit=True)
    elif role == "option":
        program, _, flag = target.rpartition(" ")
        collect.add(line, text, "flag", flag.partition("=")[0], program=program or None)
    elif role == "file":
        collect.path(target, line, explicit=True)
    elif role == "doc" and "://" not in target:
        # Sphinx drops a source suffix from a document name (`guide/index.rst` names the
        # document `guide/index`, whichever its source file's suffix is).
        for suffix in (".rst", ".md", ".ipynb", ".txt"):
            target = target.removesuffix(suffix)
        collect.add(line, text, "link", f"{target}.rst")


def _line_of(node: Any, lines: list[str], start: int | None = None) -> int:
    """The line of a node docutils leaves unnumbered: its text searched from its block's line."""
    if start is None:
        parent = node
        while parent is not None and not parent.line:
            parent = parent.parent
        start = parent.line if parent is not None else 1
    raw = (node.rawsource or node.astext()).splitlines()
    needle = raw[0].strip() if raw else ""
    for number in range(max(start - 2, 0), min(start + 60, len(lines))):
        if needle and needle in lines[number]:
            return number + 1
    return start
