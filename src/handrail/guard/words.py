"""Small helpers on shell words and paths shared by the parser and the rule families."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}


def ansi_c(body: str) -> str:
    """The text of `$'…'`: \\xHH, \\NNN (octal), \\uHHHH, \\cX and the letter escapes."""
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\" or index + 1 == len(body):
            out.append(char)
            index += 1
            continue
        kind = body[index + 1]
        index += 2
        if kind in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[kind])
        elif kind in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[kind]
            digits = _take(body, index, width, "0123456789abcdefABCDEF")
            out.append(chr(int(digits, 16)) if digits else "\\" + kind)
            index += len(digits)
        elif kind in "01234567":
            digits = kind + _take(body, index, 2, "01234567")
            out.append(chr(int(digits, 8) & 0xFF))
            index += len(digits) - 1
        elif kind == "c" and index < len(body):
            out.append(chr(ord(body[index]) & 0x1F))
            index += 1
        else:
            out.append("\\" + kind)
    return "".join(out)


def _take(text: str, start: int, most: int, allowed: str) -> str:
    end = start
    while end < len(text) and end - start < most and text[end] in allowed:
        end += 1
    return text[start:end]


# ---- options --------------------------------------------------------------------------------


def short_flags(args: Iterable[str]) -> set[str]:
    """Letters of the short option clusters before `--`: `-rf` → {"r", "f"}."""
    letters: set[str] = set()
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            letters.update(arg[1:])
    return letters


def long_options(args: Iterable[str]) -> set[str]:
    """`--force-with-lease=main` → "--force-with-lease"."""
    names: set[str] = set()
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("--"):
            names.add(arg.partition("=")[0])
    return names


def operands(args: Sequence[str], value_options: frozenset[str] = frozenset()) -> list[str]:
    """The non-option words, skipping the values of `value_options`; all words after `--`."""
    out: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            out.extend(args[index + 1 :])
            break
        if arg.startswith("-") and len(arg) > 1:
            index += 2 if arg in value_options else 1
            continue
        out.append(arg)
        index += 1
    return out


# ---- paths ----------------------------------------------------------------------------------

_HOME_PREFIXES = ("$HOME", "${HOME}", "~")


def expand_home(path: str, home: str | None) -> str:
    if not home:
        return path
    for prefix in _HOME_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return home + path[len(prefix) :]
    return path


def absolute(path: str, cwd: str, home: str | None) -> str:
    """The normalized absolute path a word names (no file system access)."""
    expanded = expand_home(path, home)
    if expanded.startswith("~"):  # ~user: another account's home
        expanded = "/home/" + expanded[1:]
    return posixpath.normpath(posixpath.join(cwd, expanded))


def within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


_EVERYTHING = frozenset({"*", "**", ".*", "*.*", "*/"})


def glob_base(path: str) -> tuple[str, bool]:
    """The folder a wildcard word covers, and whether it covers all of it: `/etc/*` →
    (`/etc`, True); `build/*.o` → (`build/*.o`, False): some files inside, not the folder."""
    parts = path.split("/")
    for index, part in enumerate(parts):
        if any(char in part for char in "*?["):
            folder = "/".join(parts[:index]) or ("/" if path.startswith("/") else ".")
            last = index == len(parts) - 1 or (index == len(parts) - 2 and not parts[-1])
            if last and part not in _EVERYTHING:
                return path, False
            return folder, True
    return path, False
