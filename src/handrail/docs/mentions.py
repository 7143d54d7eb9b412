"""Which files could define a vanished name: the cheap test that decides which old files get
parsed.

Looking for a vanished definition means parsing old versions of the files changed since a doc
was last edited: on a big repository, thousands of files and hundreds of megabytes. Only a file
whose text holds the name in a form that can define it is worth a parse; the parse decides.
The test runs in two steps: the file's set of words must hold every word of the name (one
pass over the text), then the name must appear in a defining form (a regex over the few
survivors, for the few names they hold).

* A Python symbol `a.b.c` was defined by a file whose module path and definitions hold every
  part, with `c` itself defined (`def c`, `class c`, `c = …`, `self.c = …`, `c: T`). A symbol
  whose every part is still defined somewhere did not vanish by name (it fails to resolve
  through an alias, a variable or inheritance), so history is not asked about it.
  `self` and `cls` are not parts: they name an instance or a class. Assignments are `n = …`
  with spaces or `n=…` starting a line: PEP 8's style, and what tells them from keyword
  arguments (an unspaced assignment in the middle of a line is missed).
* A flag, subcommand, environment variable or setting is defined in Python only by a call
  (`add_argument("--seed")`, `os.getenv("HOME")`, `@click.command`): the name must be a string
  literal among the arguments of a call that defines its kind or, for click and typer, the
  parameter or function it derives from.
* Shell, Make and configuration files define every kind by a bare word.
"""

from __future__ import annotations

import functools
import hashlib
import keyword
import re
from collections.abc import Collection, Iterable
from typing import NamedTuple

from handrail import git
from handrail.docs.definitions import DEFINING_CALLS, DEFINING_KEYWORDS, language_of
from handrail.docs.symbols import SymbolIndex, leaf_name

# Reference kinds Python defines by a def, class or assignment rather than by a call.
_NAMED_KINDS = frozenset({"symbol"})
# Reference kinds click and typer also derive from a parameter or function name.
_DERIVED_KINDS = frozenset({"flag", "command"})
_ALL_CALLERS = frozenset().union(*DEFINING_CALLS.values())
_SEPARATORS = bytes(
    c if chr(c).isascii() and (chr(c).isalnum() or c == ord("_")) else ord(" ") for c in range(256)
)
_INSTANCE_NAMES = frozenset({"self", "cls"})
# The libraries that name options and commands after parameters and functions.
_DERIVING_LIBRARIES = frozenset({b"click", b"typer"})
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class _Sought(NamedTuple):
    kind: str
    leaf: str  # the name as a definition has it
    words: frozenset[bytes]  # every word a file defining it holds
    # Python symbols: the parts a file defining it defines itself, unless its path names them.
    defined: frozenset[str] = frozenset()


class Mentions:
    """Tests file contents for the references history should look for."""

    def __init__(self, references: Collection[tuple[str, str]], index: SymbolIndex) -> None:
        """`references`: (kind, name) of every reference the code no longer answers for;
        `index`: the definitions of now."""
        defined_now = set(index.short) | {p for module in index.modules for p in module.split(".")}
        self._sought: list[_Sought] = []
        for kind, name in set(references):
            leaf = leaf_name(kind, name)
            if kind not in _NAMED_KINDS:
                # `--dry-run` may be written `dry_run`: then no word of it need appear as such.
                derivable = kind in _DERIVED_KINDS and _identifier(leaf)
                words = frozenset() if derivable else frozenset(_words(leaf.encode()))
                self._sought.append(_Sought(kind, leaf, words))
                continue
            # `self` and `cls` name an instance or a class, never a definition.
            parts = [part for part in name.split(".") if part not in _INSTANCE_NAMES]
            unknown = {part for part in parts if part not in defined_now}
            if unknown:
                words = frozenset(part.encode() for part in parts)
                # A vanished leaf is the evidence (`self.assert_equal`); a leaf still defined
                # vanished only with its class or module (`OldClass.method`).
                defined = {leaf} if leaf in unknown else unknown | {leaf}
                self._sought.append(_Sought(kind, leaf, words, frozenset(defined)))
        self.leaves = {sought.leaf for sought in self._sought}
        # Each reference under its longest word: a file's words pick the few worth checking.
        self._by_word: dict[bytes, list[_Sought]] = {}
        self._always: list[_Sought] = []  # no word to require
        for sought in self._sought:
            if sought.words:
                key = max(sought.words, key=lambda word: (len(word), word))
                self._by_word.setdefault(key, []).append(sought)
            else:
                self._always.append(sought)
        # Names what this instance looks for: results remembered under it stay true.
        # (Sets print in an order that changes from one process to the next: sort them.)
        canonical = sorted(
            (s.kind, s.leaf, sorted(s.words), sorted(s.defined)) for s in self._sought
        )
        self.digest = hashlib.blake2b(repr(canonical).encode(), digest_size=8).hexdigest()

    def could_define(self, path: str, content: bytes) -> bool:
        held = _words(content)
        in_path = _words(path.encode())  # a module's path names its parts
        held |= in_path
        present = [s for w in held & self._by_word.keys() for s in self._by_word[w]]
        present = [s for s in present if s.words <= held] + self._always
        if not present:
            return False
        if language_of(path) != "python":
            return _any_word(frozenset(s.leaf for s in present)).search(content) is not None
        if any(_defines_all(s, content, in_path) for s in present if s.kind in _NAMED_KINDS):
            return True
        derives = not _DERIVING_LIBRARIES.isdisjoint(held)
        # The regex over the whole file only when the name is there as a string or as the
        # identifier click and typer derive it from (substring and set tests are far cheaper).
        called = frozenset(
            (s.kind, s.leaf)
            for s in present
            if s.kind not in _NAMED_KINDS
            and (
                f'"{s.leaf}'.encode() in content
                or f"'{s.leaf}".encode() in content
                or (derives and (_identifier(s.leaf) or "").encode() in held)
            )
        )
        return bool(called) and _python_call(called, derives).search(content) is not None


def _words(text: bytes) -> set[bytes]:
    """The set of `\\w+` words of `text` (ASCII), by translating every other byte to a space:
    twice as fast as a regex over hundreds of megabytes of old files."""
    return set(text.translate(_SEPARATORS).split())


def could_define_blobs(
    mentions: Mentions, repo: git.RepoInfo, files: list[tuple[str, str]]
) -> list[bool]:
    """`mentions.could_define` for (path, blob id) pairs, the blobs read here: a worker
    process's share."""
    path_of = {blob: path for path, blob in files}
    answers = {
        blob: mentions.could_define(path_of[blob], text)
        for blob, text in git.read_blobs(repo, list(path_of))
    }
    return [answers.get(blob, False) for _, blob in files]


def _defines_all(sought: _Sought, content: bytes, in_path: set[bytes]) -> bool:
    return all(name.encode() in in_path or _defines(name, content) for name in sought.defined)


def _defines(name: str, content: bytes) -> bool:
    """Whether a line holding `name` defines it: only those lines are matched (found with a
    substring search), which is many times faster than a regex over the whole file."""
    word = name.encode()
    pattern = _python_definition(name)
    start = content.find(word)
    while start >= 0:
        end = start + len(word)
        if _WORD_BYTES.isdisjoint(content[start - 1 : start] + content[end : end + 1]):
            line_start = content.rfind(b"\n", 0, start) + 1
            line_end = content.find(b"\n", end)
            line_end = len(content) if line_end < 0 else line_end
            attribute = content.endswith(b"self.", line_start, start)
            if pattern.search(content, line_start, line_end) is not None and (
                attribute or not _in_function(content, line_start)
            ):
                return True
            start = content.find(word, line_end)
        else:  # part of a longer word
            start = content.find(word, end)
    return False


def _in_function(content: bytes, line_start: int) -> bool:
    """Whether the line starting at `line_start` is in a function's body, judged by
    indentation: the Python reader records a function's `self.n = …` but none of its locals
    or nested definitions. Each less indented line above is a block that holds it; the first
    `def` or `class` among them decides."""
    indent = _indentation(content, line_start)
    position = line_start
    while indent > 0 and position > 0:
        above = content.rfind(b"\n", 0, position - 1) + 1
        line = content[above : position - 1]
        position = above
        code = line.lstrip(b" \t")
        level = len(line) - len(code)
        if not code or code.startswith(b"#") or level >= indent:
            continue
        if code.startswith((b"def ", b"async def ")):
            return True
        if code.startswith(b"class "):
            return False
        indent = level  # an if, for, with, try…: the reader looks inside those
    return False


def _indentation(content: bytes, line_start: int) -> int:
    end = line_start
    while end < len(content) and content[end] in b" \t":
        end += 1
    return end - line_start


@functools.lru_cache(maxsize=256)
def _any_word(names: frozenset[str]) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![\w-])" + _alternation(names) + rb"(?![\w-])")


@functools.lru_cache(maxsize=4096)
def _python_definition(name: str) -> re.Pattern[bytes]:
    """`def n`, `class n`, `n = …` (chained, augmented, a tuple's last item), `self.n = …`,
    `n: T`, and a tuple target `a, n, b = …`: every form the Python reader records."""
    word = re.escape(name.encode())
    return re.compile(
        rb"(?:def|class)[ \t]++" + word + rb"\b"
        # `n = …` spaced, or `n=…` starting its line: `f(n=1)` and `def f(n=None)` are a
        # keyword argument and a parameter, not definitions.
        rb"|(?<![\w])" + word + rb"[ \t]++[-+*/%@&|^<>]*+=(?!=)"
        rb"|^[ \t]*+(?:self\.)?" + word + rb"[-+*/%@&|^<>]*+=(?!=)"
        rb"|^[ \t]*+(?:self\.)?" + word + rb"[ \t]*+:(?!=)"
        rb"|^[ \t(\[]*+(?:\*?\w++[ \t]*+,[ \t]*+)+\*?" + word + rb"\b",
        re.MULTILINE,  # `^` at the line's start when searching from it
    )


@functools.lru_cache(maxsize=256)
def _python_call(called: frozenset[tuple[str, str]], derives: bool) -> re.Pattern[bytes]:
    """The name as a string literal given to one of the calls that define its kind (or to
    its keyword argument, or in `environ[…]` / `… in environ`), or, in a file that `derives`
    names (it uses click or typer), as the function or parameter they derive it from."""
    forms: list[bytes] = []
    for kind in sorted({kind for kind, _ in called}):
        quoted = rb"""["']""" + _alternation(n for k, n in called if k == kind) + rb"(?![\w-])"
        callers = DEFINING_CALLS.get(kind, _ALL_CALLERS)
        # The literal among the call's arguments (a nested call's parentheses allowed).
        opening = rb"\b" + _alternation(callers) + rb"[ \t]*+\("
        forms.append(opening + rb"(?:[^()]|\([^()]*+\))*?" + quoted)
        if kind in DEFINING_KEYWORDS:
            keyword_name = DEFINING_KEYWORDS[kind].encode()
            forms.append(keyword_name + rb"[ \t]*+=[ \t(\[]*+" + quoted)
        if kind == "env":
            forms.append(rb"environ[ \t]*+\[[ \t]*+" + quoted)
            forms.append(quoted + rb"""["'][ \t]++in[ \t]++[\w.]*environ""")
    derived = {i for kind, name in called if kind in _DERIVED_KINDS and (i := _identifier(name))}
    if derives and derived:
        identifier = _alternation(derived)
        forms.append(rb"def[ \t]++" + identifier + rb"\b")  # a command from its function
        forms.append(rb"[(,][ \t\n]*+" + identifier + rb"[ \t]*+[:=,)]")  # an option's parameter
    return re.compile(b"|".join(forms))


def _identifier(name: str) -> str | None:
    """`--dry-run` → `dry_run`: the parameter or function click and typer turn into that flag
    or subcommand. None when no Python name can (`-x` is always written out as a string, and
    a keyword like `import` is never a function's name)."""
    if name.startswith("-") and not name.startswith("--"):
        return None
    identifier = name.lstrip("-").removeprefix("no-").replace("-", "_")
    return identifier if identifier.isidentifier() and not keyword.iskeyword(identifier) else None


def _alternation(names: Iterable[str]) -> bytes:
    # Longest first: the regex engine takes the first alternative that matches.
    ordered = sorted(set(names), key=lambda name: (-len(name), name))
    return b"(?:" + b"|".join(re.escape(name.encode()) for name in ordered) + b")"
