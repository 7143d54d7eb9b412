"""Which paths an invocation deletes, writes or re-permissions, read from its arguments.

One reading serves every family that cares about files (filesystem damage, the guard's own
settings, git hooks), so `sed -i`, `tee`, `>` and `mv` are understood in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from handrail.guard.words import operands, short_flags

if TYPE_CHECKING:
    from handrail.guard.model import Invocation

WRITE_REDIRECTS = frozenset({">", ">>", "&>", "&>>", ">|", ">&"})
DELETERS = frozenset({"rm", "unlink", "rmdir", "shred", "srm", "wipe"})
_CP_VALUE_OPTIONS = frozenset({"-t", "--target-directory", "-S", "--suffix", "-m", "--mode"})
_SED_VALUE_OPTIONS = frozenset({"-e", "--expression", "-f", "--file", "-l", "--line-length"})


class Effect(NamedTuple):
    action: str  # "delete", "write" or "permissions"
    path: str
    resolved: bool = True


def effects(inv: Invocation) -> list[Effect]:
    found = [
        Effect("write", target)
        for operator, target in inv.redirects
        if operator in WRITE_REDIRECTS and target and not target.isdigit() and target != "-"
    ]
    name, args = inv.program, inv.args

    def effect(action: str, word: str) -> Effect:
        index = inv.argv.index(word) if word in inv.argv else -1
        return Effect(action, word, index not in inv.unresolved)

    if name in DELETERS:
        found += [effect("delete", path) for path in operands(args)]
    elif name == "mv":
        paths = operands(args, _CP_VALUE_OPTIONS)
        found += [effect("delete", path) for path in paths[:-1]]
        found += [effect("write", path) for path in paths[-1:]]
    elif name in ("cp", "install", "ln", "rsync"):
        found += [effect("write", path) for path in operands(args, _CP_VALUE_OPTIONS)[-1:]]
    elif name in ("tee", "truncate"):
        found += [effect("write", path) for path in operands(args, frozenset({"-s", "--size"}))]
    elif name == "dd":
        found += [effect("write", arg[3:]) for arg in args if arg.startswith("of=")]
    elif name in ("sed", "gsed", "perl") and (
        "i" in short_flags(args) or any(a.startswith("--in-place") for a in args)
    ):
        paths = operands(args, _SED_VALUE_OPTIONS)
        scripted = any(a in ("-e", "--expression", "-f", "--file") for a in args)
        found += [effect("write", path) for path in (paths if scripted else paths[1:])]
    elif name in ("chmod", "chown", "chgrp", "chattr"):
        found += [effect("permissions", path) for path in mode_and_paths(args)[1]]
    return found


_CHMOD_OPTION_LETTERS = frozenset("RcfvhHLP")


def mode_and_paths(args: tuple[str, ...]) -> tuple[str, list[str]]:
    """chmod/chown's first operand (the mode or owner) and the paths; `-x` is a mode."""
    words: list[str] = []
    for index, arg in enumerate(args):
        if arg == "--":
            words.extend(args[index + 1 :])
            break
        if arg.startswith("--") or (
            arg.startswith("-") and len(arg) > 1 and set(arg[1:]) <= _CHMOD_OPTION_LETTERS
        ):
            continue
        words.append(arg)
    return (words[0], words[1:]) if words else ("", [])


def recursive(args: tuple[str, ...]) -> bool:
    return "R" in short_flags(a for a in args if set(a[1:]) <= _CHMOD_OPTION_LETTERS) or (
        "--recursive" in args
    )
