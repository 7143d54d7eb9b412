"""Shell text parsed with tree-sitter-bash: the commands a doc shows and what a script defines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser


@cache
def _parser() -> Parser:
    import tree_sitter_bash
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_bash.language()))


def parse(text: str) -> Node:
    return _parser().parse(text.encode("utf-8", "surrogateescape")).root_node


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _unquote(node: Node) -> str:
    text = _text(node)
    if node.type == "raw_string" or (node.type == "string" and node.named_child_count == 0):
        return text[1:-1]
    return text


@dataclass(frozen=True)
class Command:
    """One simple command: its words (quotes removed), the line it starts on (0-based), and the
    environment assignments written before it."""

    words: tuple[str, ...]
    line: int
    assignments: tuple[str, ...]


def walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def commands(root: Node) -> Iterator[Command]:
    for node in walk(root):
        if node.type != "command":
            continue
        words: list[str] = []
        assignments: list[str] = []
        for child in node.children:
            if child.type == "variable_assignment":
                name = child.child_by_field_name("name")
                if name is not None:
                    assignments.append(_text(name))
            elif child.type == "command_name":
                words.append(_unquote(child.children[0]) if child.children else _text(child))
            elif child.type in {"word", "string", "raw_string", "concatenation", "number"}:
                words.append(_unquote(child))
        if words:
            yield Command(tuple(words), node.start_point[0], tuple(assignments))


def expansions(root: Node) -> Iterator[tuple[str, int]]:
    """Variables the text reads (`$NAME`, `${NAME:-x}`), with their 0-based line."""
    for node in walk(root):
        if node.type in {"simple_expansion", "expansion"}:
            for child in node.children:
                if child.type == "variable_name":
                    yield _text(child), child.start_point[0]
                    break


def exported(root: Node) -> Iterator[tuple[str, int]]:
    """Variables set by `export NAME=…` or `NAME=… command`: what a doc tells users to set."""
    for node in walk(root):
        if node.type == "declaration_command" and _text(node).startswith("export"):
            for child in node.children:
                target = (
                    child.child_by_field_name("name")
                    if child.type == "variable_assignment"
                    else None
                )
                if target is not None:
                    yield _text(target), target.start_point[0]
                elif child.type == "variable_name":
                    yield _text(child), child.start_point[0]


def case_flags(root: Node) -> Iterator[tuple[str, int]]:
    """Options a script accepts: `case "$1" in --name|-n)` patterns."""
    for node in walk(root):
        if node.type != "case_item":
            continue
        for child in node.children:
            if child.type == "command":
                break
            pattern = _unquote(child).split("=")[0]
            if pattern.startswith("-") and len(pattern) > 1 and "*" not in pattern:
                yield pattern, child.start_point[0]


def functions(root: Node) -> Iterator[tuple[str, int]]:
    for node in walk(root):
        if node.type == "function_definition":
            name = node.child_by_field_name("name")
            if name is not None:
                yield _text(name), name.start_point[0]
