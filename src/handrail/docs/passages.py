"""Docs cut into passages an agent can be served: a section's blocks under their heading trail.

Markdown is read with markdown-it-py, reStructuredText with docutils. A heading always starts
a passage; a long section is cut between its top-level blocks (paragraph, code block, list,
table) so that a passage stays small enough to quote, and a block is never cut in two.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

# A passage grows by whole blocks until it would pass these sizes.
MAX_LINES = 40
MAX_CHARS = 2400


@dataclass(frozen=True)
class Passage:
    """A piece of one doc: its heading trail, its 1-based inclusive line range and its text."""

    doc: str
    heading: tuple[str, ...]
    start_line: int
    end_line: int
    text: str


@dataclass(frozen=True)
class _Block:
    """Where a top-level block starts (1-based), and the heading trail it sits under."""

    line: int
    trail: tuple[str, ...]
    heading: bool


def split(doc: str, text: str) -> list[Passage]:
    """The passages of doc `doc` whose content is `text`, in document order."""
    lines = text.splitlines()
    if PurePosixPath(doc).suffix.lower() == ".rst":
        blocks = list(_rst_blocks(text))
    else:
        blocks = list(_markdown_blocks(text))
    return list(_group(doc, lines, blocks))


def _group(doc: str, lines: list[str], blocks: list[_Block]) -> Iterator[Passage]:
    """Consecutive blocks of one section joined up to the size budget. A heading with no text
    of its own (a title right above its first subsection) joins the next passage."""
    by_line = {b.line: b for b in blocks if 1 <= b.line <= len(lines)}
    ordered = [by_line[line] for line in sorted(by_line)]
    ends = [b.line - 1 for b in ordered[1:]] + [len(lines)] if ordered else []
    current: list[tuple[_Block, int]] = []
    for block, end in zip(ordered, ends, strict=True):
        has_body = any(not b.heading for b, _ in current)
        if has_body and (block.heading or _too_big(lines, current[0][0].line, end)):
            yield _passage(doc, lines, current)
            current = []
        current.append((block, end))
    if current:
        yield _passage(doc, lines, current)


def _too_big(lines: list[str], start: int, end: int) -> bool:
    chosen = lines[start - 1 : end]
    return len(chosen) > MAX_LINES or sum(len(line) + 1 for line in chosen) > MAX_CHARS


def _passage(doc: str, lines: list[str], blocks: list[tuple[_Block, int]]) -> Passage:
    start, end = blocks[0][0].line, blocks[-1][1]
    while end > start and not lines[end - 1].strip():
        end -= 1  # blank lines before the next block belong to neither
    trail = next((b.trail for b, _ in reversed(blocks) if b.heading), blocks[0][0].trail)
    return Passage(doc, trail, start, end, "\n".join(lines[start - 1 : end]))


# -- Markdown ----------------------------------------------------------------------------------


def _markdown_blocks(text: str) -> Iterator[_Block]:
    from markdown_it import MarkdownIt

    from handrail.docs.extract import _front_matter

    # Front matter is blanked (lines kept) so that its YAML is not read as a heading.
    text, _ = _front_matter(text)
    tokens = MarkdownIt("commonmark", {"html": True}).enable("table").parse(text)
    trail: list[tuple[int, str]] = []
    for number, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1 or not token.map:
            continue
        line = token.map[0] + 1
        if token.type == "heading_open":
            depth = int(token.tag[1:])
            title = tokens[number + 1].content.strip()
            trail = [(d, t) for d, t in trail if d < depth] + [(depth, title)]
            yield _Block(line, tuple(t for _, t in trail), heading=True)
        else:
            yield _Block(line, tuple(t for _, t in trail), heading=False)


# -- reStructuredText --------------------------------------------------------------------------


def _rst_blocks(text: str) -> Iterator[_Block]:
    from docutils import nodes

    tree = _rst_tree(text)
    if tree is None:  # docutils gave up: the whole document is one section
        yield _Block(1, (), heading=False)
        return
    lines = text.splitlines()
    yield _Block(1, (), heading=False)
    yield from _rst_section(tree, (), lines, nodes)


def _rst_section(
    node: Any, trail: tuple[str, ...], lines: list[str], nodes: Any
) -> Iterator[_Block]:
    for child in node.children:
        if isinstance(child, nodes.section):
            title = child.next_node(nodes.title)
            name = title.astext().strip() if title is not None else ""
            inner = (*trail, name)
            if title is not None and title.line:
                yield _Block(_title_start(title.line, lines), inner, heading=True)
            yield from _rst_section(child, inner, lines, nodes)
        elif isinstance(child, nodes.title | nodes.subtitle):
            continue  # the document title: part of the first passage
        elif isinstance(child, nodes.Element) and child.line:
            # docutils numbers most blocks by their first line, some directives by their last:
            # only a cut between passages depends on it, and it never crosses a heading.
            yield _Block(child.line, trail, heading=False)


def _title_start(underline: int, lines: list[str]) -> int:
    """docutils numbers a title by its underline; an overline, if any, starts it one line up."""
    title = underline - 1
    above = lines[title - 2].strip() if title >= 2 else ""
    if above and len(set(above)) == 1 and not above[0].isalnum():
        return title - 1
    return title


def _rst_tree(text: str) -> Any:
    from docutils.core import publish_doctree
    from docutils.utils import SystemMessage

    from handrail.docs.rst import _register

    _register()  # Sphinx roles and directives, so that their content is parsed as content
    try:
        return publish_doctree(
            text,
            settings_overrides={
                "report_level": 5,
                "halt_level": 5,
                "warning_stream": io.StringIO(),
                "file_insertion_enabled": False,
                "raw_enabled": False,
                "input_encoding": "unicode",
                "doctitle_xform": False,
            },
        )
    except (SystemMessage, ValueError, AttributeError, IndexError, KeyError):
        return None
