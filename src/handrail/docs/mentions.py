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
* A flag, subcommand, environment variable or setting is defined in Python only by a call
  (`add_argument("--seed")`, `os.getenv("HOME")`, `@click.command`), so the file must hold one
  of the words such calls use, and the name as a string literal or, for click and typer, as the
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

from handrail.docs.definitions import CALL_WORDS, language_of
from handrail.docs.symbols import SymbolIndex, leaf_name

# Reference kinds Python defines by a def, class or assignment rather than by a call.
_NAMED_KINDS = frozenset({"symbol"})
# Reference kinds click and typer also derive from a parameter or function name.
_DERIVED_KINDS = frozenset({"flag", "command"})
# Where a call that can define an option, a command, an environment read or a setting opens.
_CALL_OPENING = CALL_WORDS.pattern.encode() + rb"[ \t]*+\("
_WORD = re.compile(rb"\w+")


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
                words = frozenset() if derivable else frozenset(_WORD.findall(leaf.encode()))
                self._sought.append(_Sought(kind, leaf, words))
                continue
            parts = name.split(".")
            unknown = {part for part in parts if part not in defined_now}
            if unknown:
                words = frozenset(part.encode() for part in parts)
                # A vanished leaf is the evidence (`self.assert_equal`); a leaf still defined
                # vanished only with its class or module (`OldClass.method`).
                defined = {leaf} if leaf in unknown else unknown | {leaf}
                self._sought.append(_Sought(kind, leaf, words, frozenset(defined)))
        self.leaves = {sought.leaf for sought in self._sought}
        # Names what this instance looks for: results remembered under it stay true.
        # (Sets print in an order that changes from one process to the next: sort them.)
        canonical = sorted(
            (s.kind, s.leaf, sorted(s.words), sorted(s.defined)) for s in self._sought
        )
        self.digest = hashlib.blake2b(repr(canonical).encode(), digest_size=8).hexdigest()

    def could_define(self, path: str, content: bytes) -> bool:
        held = set(_WORD.findall(content))
        in_path = set(_WORD.findall(path.encode()))  # a module's path names its parts
        present = [s for s in self._sought if s.words <= held | in_path]
        if not present:
            return False
        if language_of(path) != "python":
            return _any_word(frozenset(s.leaf for s in present)).search(content) is not None
        if any(_defines_all(s, content, in_path) for s in present if s.kind in _NAMED_KINDS):
            return True
        called = frozenset((s.kind, s.leaf) for s in present if s.kind not in _NAMED_KINDS)
        return bool(called) and _python_call(called).search(content) is not None


def _defines_all(sought: _Sought, content: bytes, in_path: set[bytes]) -> bool:
    return all(name.encode() in in_path or _defines(name, content) for name in sought.defined)


def _defines(name: str, content: bytes) -> bool:
    """Whether a line holding `name` defines it: only those lines are matched (found with a
    substring search), which is many times faster than a regex over the whole file."""
    word = name.encode()
    pattern = _python_definition(name)
    start = content.find(word)
    while start >= 0:
        line_start = content.rfind(b"\n", 0, start) + 1
        line_end = content.find(b"\n", start)
        line_end = len(content) if line_end < 0 else line_end
        if pattern.search(content, line_start, line_end) is not None:
            return True
        start = content.find(word, line_end)
    return False


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
        rb"|(?<![\w])" + word + rb"[ \t]*+[-+*/%@&|^<>]*+=(?!=)"
        rb"|^[ \t]*+(?:self\.)?" + word + rb"[ \t]*+:(?!=)"
        rb"|^[ \t(\[]*+(?:\*?\w++[ \t]*+,[ \t]*+)+\*?" + word + rb"\b",
        re.MULTILINE,  # `^` at the line's start when searching from it
    )


@functools.lru_cache(maxsize=256)
def _python_call(called: frozenset[tuple[str, str]]) -> re.Pattern[bytes]:
    """The name as a string literal given to one of the calls that define options, commands,
    environment reads and settings (or an `environ[…]` / `… in environ`), or as the function
    or parameter click and typer derive it from."""
    quoted = rb"""["']""" + _alternation({name for _, name in called}) + rb"(?![\w-])"
    forms = [
        # The literal among the call's arguments (a nested call's parentheses allowed).
        _CALL_OPENING + rb"(?:[^()]|\([^()]*+\))*?" + quoted,
        rb"(?:envvar|dest|prog)[ \t]*+=[ \t(\[]*+" + quoted,  # click's envvar=, argparse's dest=
        rb"environ[ \t]*+\[[ \t]*+" + quoted,
        quoted + rb"""["'][ \t]++in[ \t]++[\w.]*environ""",
    ]
    derived = {i for kind, name in called if kind in _DERIVED_KINDS and (i := _identifier(name))}
    if derived:
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
