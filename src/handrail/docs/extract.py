"""References a document makes to code, from Markdown (markdown-it-py) and reStructuredText
(docutils): inline code, fenced and indented code blocks, links, Sphinx roles and directives.

Extraction is generous; `resolve` decides what is this repository's and what is external.
"""

from __future__ import annotations

import ast
import datetime
import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from handrail.docs.model import Kind, Reference

# File name endings that make a token a path rather than a dotted Python name.
PATH_SUFFIXES = frozenset(
    [
        "py",
        "pyi",
        "md",
        "rst",
        "txt",
        "toml",
        "yaml",
        "yml",
        "json",
        "ini",
        "cfg",
        "sh",
        "bash",
        "zsh",
        "js",
        "mjs",
        "ts",
        "tsx",
        "jsx",
        "go",
        "rs",
        "java",
        "kt",
        "rb",
        "c",
        "h",
        "cc",
        "cpp",
        "hpp",
        "cs",
        "sql",
        "html",
        "css",
        "scss",
        "lock",
        "conf",
        "env",
        "mk",
        "tf",
        "tfvars",
        "proto",
        "ipynb",
        "xml",
        "csv",
        "dockerfile",
        "gradle",
        "swift",
        "php",
        "lua",
        "r",
        "pl",
        "sqlite",
        "db",
        "log",
        "pdf",
        "png",
        "svg",
        "jpg",
    ]
)
KNOWN_FILES = frozenset(
    {"Makefile", "Dockerfile", "Procfile", "Jenkinsfile", "Vagrantfile", "Gemfile", "CODEOWNERS"}
)
SHELL_LANGUAGES = frozenset(
    {"sh", "bash", "shell", "console", "shell-session", "zsh", "shellsession", "terminal", ""}
)
PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "pycon", "ipython", "pytb", "doctest"})
CONFIG_LANGUAGES = frozenset({"toml", "yaml", "yml", "ini", "cfg", "json"})
# Words that start a command but are not the command itself.
_WRAPPERS = frozenset({"sudo", "env", "time", "exec", "nohup", "command", "xargs"})
_RUNNERS = frozenset({"uv", "poetry", "pipx", "hatch", "pdm", "rye", "npx", "pipenv"})
_PYTHONS = re.compile(r"python(\d(\.\d+)?)?$")
# A dotted Python name, maybe called: `pkg.mod.func(x)`.
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# What follows a file's path to point inside it: line numbers (`app.py:12:5`), a pytest node
# id (`test_app.py::TestX::test_y[1]`), a test name (`test_app.py:test_y`).
_LOCATION_SUFFIX = re.compile(r"(?:::[^:\s]+)+$|(?<=\.py):[A-Za-z_]\w*$|(?::\d+)+$")
# MyST (Sphinx Markdown) target line, `(install-guide)=`: the whole paragraph.
_MYST_TARGET = re.compile(r"\(([^()\s]+)\)=")


@dataclass
class Document:
    """One doc's references, the anchors it offers to links, and when it was last reviewed."""

    path: str
    references: list[Reference] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    reviewed: datetime.date | None = None


def is_document(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in {".md", ".markdown", ".rst"}


def extract(path: str, text: str) -> Document:
    """Every reference `text` (the content of doc `path`) makes, with 1-based lines."""
    text, reviewed = _front_matter(text)
    document = Document(path, reviewed=reviewed)
    if PurePosixPath(path).suffix.lower() == ".rst":
        from handrail.docs.rst import read_rst

        read_rst(document, text, _Collector(document))
    else:
        _markdown(document, text, _Collector(document))
    return document


def _front_matter(text: str) -> tuple[str, datetime.date | None]:
    """YAML front matter (`reviewed: 2024-05-01`), blanked so that line numbers still hold."""
    if not text.startswith("---\n"):
        return text, None
    end = text.find("\n---", 4)
    if end < 0:
        return text, None
    import yaml

    try:
        data = yaml.safe_load(text[4:end])
    except yaml.YAMLError:
        data = None
    reviewed = data.get("reviewed") if isinstance(data, dict) else None
    if isinstance(reviewed, str):
        try:
            reviewed = datetime.date.fromisoformat(reviewed)
        except ValueError:
            reviewed = None
    blanked = "\n" * (text[: end + 4].count("\n") + 1) + text[end + 4 :].partition("\n")[2]
    return blanked, reviewed if isinstance(reviewed, datetime.date) else None


class _Collector:
    """Turns pieces of a document (inline code, code blocks, links) into references."""

    def __init__(self, document: Document) -> None:
        self.document = document

    def add(self, line: int, text: str, kind: Kind, name: str, **extra: object) -> None:
        self.document.references.append(
            Reference(self.document.path, line, text, kind, name, **extra)  # type: ignore[arg-type]
        )

    def inline(self, text: str, line: int) -> None:
        """A piece of inline code: what kind of reference it looks like, if any."""
        text = text.strip()
        if not text or len(text) > 200 or "://" in text:
            return
        if any(c.isspace() for c in text):
            if re.fullmatch(r"[\w.-]+\s*=\s*\S.*", text) and not text.startswith("-"):
                self._setting(text.partition("=")[0].strip(), text, line)
            else:
                self.shell(text, line)
            return
        if text.startswith("$") and _identifier(text.strip("${}")):
            self.add(line, text, "env", text.strip("${}"))
        elif "=" in text and _ENV_NAME.fullmatch(text.partition("=")[0]):
            self.add(line, text, "env", text.partition("=")[0])
        elif text.startswith("-") and re.fullmatch(r"--?[A-Za-z][\w-]*(=.*)?", text):
            self.add(line, text, "flag", text.partition("=")[0])
        elif text.startswith("[") and text.endswith("]") and _identifier(text.strip("[]")):
            self.add(line, text, "config", text.strip("[]"))
        elif looks_like_path(text):
            self.path(text, line)
        else:
            self.name(text, line)

    def _setting(self, key: str, text: str, line: int) -> None:
        if _identifier(key.replace("-", "_")):
            self.add(line, text, "config", key)

    def name(self, text: str, line: int, explicit: bool = False) -> None:
        """A code name: `func()`, `Class.method`, `pkg.module`, `SOME_SETTING`."""
        bare = re.sub(r"\(.*\)$", "", text.strip()).lstrip("~!").rstrip(".")
        if not _IDENTIFIER.fullmatch(bare) or keyword.iskeyword(bare):
            return
        kind: Kind = "env" if _ENV_NAME.fullmatch(bare) and not explicit else "symbol"
        self.add(line, text, kind, bare, explicit=explicit)

    def path(self, text: str, line: int, explicit: bool = False) -> None:
        cleaned = _LOCATION_SUFFIX.sub("", text).removeprefix("./")
        if cleaned and not any(c in cleaned for c in "*?{}<>$%|\\\"'`"):
            self.add(line, text, "path", cleaned, explicit=explicit)

    def link(self, href: str, line: int) -> None:
        href = href.strip()
        if not href or _SCHEME.match(href) or href.startswith("//"):
            return
        target, _, anchor = href.partition("#")
        target = target.partition("?")[0]
        if target:
            self.add(line, href, "link", target)
        if anchor:
            self.add(line, href, "anchor", f"{target}#{anchor}")

    def code(self, language: str, content: str, first_line: int) -> None:
        """A code block whose first content line is `first_line`."""
        language = language.strip().lower().split()[0] if language.strip() else ""
        language = language.strip("{}").removeprefix("language-")
        if language in SHELL_LANGUAGES:
            self.shell(_prompts(content, ("$ ", "% ", "# ")) or content, first_line, block=True)
        elif language in PYTHON_LANGUAGES or content.lstrip().startswith(">>>"):
            self.python(_prompts(content, (">>> ", "... ", ">>>", "...")) or content, first_line)
        elif language in CONFIG_LANGUAGES:
            self.config(language, content, first_line)

    def shell(self, text: str, first_line: int, block: bool = False) -> None:
        from handrail.docs import shell

        root = shell.parse(text)
        if root.has_error and not block:
            return  # inline prose in backticks that is not a command
        for command in shell.commands(root):
            self._command(command.words, first_line + command.line)
            for name in command.assignments:
                self.add(first_line + command.line, name, "env", name)
        for name, line in (*shell.expansions(root), *shell.exported(root)):
            if _ENV_NAME.fullmatch(name) or name.isupper():
                self.add(first_line + line, f"${name}", "env", name)

    def _command(self, words: tuple[str, ...], line: int) -> None:
        words = _program_words(words)
        if not words:
            return
        program, arguments = words[0], words[1:]
        if "/" in program:
            self.path(program, line)
        if program == "make":
            for word in arguments:
                if (
                    not word.startswith("-")
                    and "=" not in word
                    and _identifier(word.replace("-", "_"))
                ):
                    self.add(line, f"make {word}", "make", word)
            return
        for position, word in enumerate(arguments):
            if word.startswith("-") and len(word) > 1 and word != "--":
                self.add(line, word, "flag", word.partition("=")[0], program=program)
            elif position == 0 and re.fullmatch(r"[a-z][a-z0-9-]*", word):
                self.add(line, f"{program} {word}", "command", word, program=program)
            elif "/" in word and looks_like_path(word):
                self.path(word, line)

    def python(self, text: str, first_line: int) -> None:
        """Imports in a Python example, and the attributes used on what they import."""
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            return
        bound: dict[str, str] = {}
        for node in ast.walk(tree):
            line = first_line + getattr(node, "lineno", 1) - 1
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.add(line, alias.name, "symbol", alias.name, explicit=True)
                    bound[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        name = f"{node.module}.{alias.name}"
                        self.add(line, name, "symbol", name, explicit=True)
                        bound[alias.asname or alias.name] = name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
            ):
                name = f"{bound[node.value.id]}.{node.attr}"
                self.add(first_line + node.lineno - 1, name, "symbol", name, explicit=True)

    def config(self, language: str, content: str, first_line: int) -> None:
        from handrail.docs.definitions import _load_config, key_paths

        try:
            data = _load_config("yaml" if language == "yml" else language, content)
        except Exception:  # an example that does not parse names nothing we can check
            return
        lines = content.splitlines()
        for key in dict.fromkeys(key_paths(data)):
            leaf = key.rpartition(".")[2]
            offset = next((n for n, text in enumerate(lines) if leaf in text), 0)
            self._setting(key, key, first_line + offset)


def _identifier(text: str) -> bool:
    return bool(_IDENTIFIER.fullmatch(text))


def looks_like_path(text: str) -> bool:
    if text in KNOWN_FILES:
        return True
    if text.startswith(("-", "@", "~", "/")) or "://" in text or " " in text:
        return False
    suffix = PurePosixPath(text.rstrip("/")).suffix.lstrip(".").lower()
    return "/" in text.strip("/") or (suffix in PATH_SUFFIXES and len(text) > len(suffix) + 1)


def _prompts(text: str, prompts: tuple[str, ...]) -> str | None:
    """A terminal transcript's commands alone (output lines blanked); None if it has no prompts."""
    lines = text.splitlines()
    if not any(line.startswith(prompts) for line in lines):
        return None
    kept = []
    for line in lines:
        prompt = next((p for p in prompts if line.startswith(p)), None)
        kept.append(line[len(prompt) :] if prompt is not None else "")
    return "\n".join(kept)


def _program_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words from the command itself on: `sudo`, `uv run`, `python -m` stripped."""
    while words and (words[0] in _WRAPPERS or "=" in words[0]):
        words = words[1:]
    if len(words) > 1 and words[0] in _RUNNERS and words[1] in {"run", "exec"}:
        words = words[2:]
    if words and _PYTHONS.match(words[0]):
        if len(words) > 2 and words[1] == "-m":
            return words[2:]
        if len(words) > 1 and words[1].endswith(".py"):
            return words[1:]
        return ()
    return words


# -- Markdown ----------------------------------------------------------------------------------


def _markdown(document: Document, text: str, collect: _Collector) -> None:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark", {"html": True}).enable("table").parse(text)
    slugs: dict[str, int] = {}
    for number, token in enumerate(tokens):
        start = token.map[0] + 1 if token.map else 1
        if token.type == "fence":
            collect.code(token.info, token.content, start + 1)
        elif token.type == "code_block":
            collect.code("", token.content, start)
        elif token.type in {"html_block", "html_inline"}:
            document.anchors.update(_html_ids(token.content))
        elif token.type == "inline":
            heading = number > 0 and tokens[number - 1].type == "heading_open"
            target = _MYST_TARGET.fullmatch(token.content.strip())
            if target:  # MyST's `(label)=` line: a target links and cross-references name
                document.anchors.add(target[1])
                continue
            _inline(token.children or [], start, collect)
            if heading:
                document.anchors.add(_slug("".join(c.content for c in token.children or []), slugs))


def _inline(children: list, line: int, collect: _Collector) -> None:
    for child in children:
        if child.type in {"softbreak", "hardbreak"}:
            line += 1
        elif child.type == "code_inline":
            collect.inline(child.content, line)
        elif child.type == "link_open":
            collect.link(str(child.attrs.get("href", "")), line)
        elif child.type == "image":
            collect.link(str(child.attrs.get("src", "")), line)
        elif child.type == "html_inline":
            collect.document.anchors.update(_html_ids(child.content))
        line += child.content.count("\n") if child.type == "text" else 0


def _slug(title: str, seen: dict[str, int]) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes, numbered."""
    slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return f"{slug}-{count}" if count else slug


def _html_ids(html: str) -> Iterator[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class _Ids(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.extend(value for key, value in attrs if key in {"id", "name"} and value)

    _Ids().feed(html)
    return iter(found)
