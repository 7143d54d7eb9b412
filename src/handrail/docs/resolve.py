"""A reference against the symbol index: found, missing, unknown, or not this repository's.

`missing` is said only of references that are clearly this repository's (a path under a
directory it has, a name in one of its modules, a flag of one of its commands); anything else
that the code does not define is `unknown`, and only history (it was defined when the doc was
last edited) can make it stale. External things are never stale.
"""

from __future__ import annotations

import builtins
import dataclasses
import re
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Literal

from handrail.docs.model import Reference
from handrail.docs.symbols import Located, SymbolIndex

Status = Literal["found", "missing", "unknown", "external"]
# Flags every parser answers to without declaring them.
IMPLICIT_FLAGS = frozenset({"-h", "--help", "--version", "-V"})
_BUILTINS = frozenset(dir(builtins)) | frozenset(sys.stdlib_module_names)
_MAX_ALIAS_HOPS = 8


@dataclass(frozen=True)
class Resolution:
    status: Status
    definition: Located | None = None
    reason: str = ""


FOUND = Resolution("found")
UNKNOWN = Resolution("unknown")
EXTERNAL = Resolution("external")


class Resolver:
    """Resolves references against one revision's index; `anchors` maps docs to their anchors."""

    def __init__(
        self,
        index: SymbolIndex,
        anchors: dict[str, set[str]],
        external: tuple[str, ...] = (),
    ) -> None:
        self.index = index
        self.anchors = anchors
        self.external = external

    @cached_property
    def programs(self) -> frozenset[str]:
        return frozenset(self.index.kinds("program"))

    @cached_property
    def flags(self) -> frozenset[str]:
        return frozenset(self.index.kinds("flag"))

    @cached_property
    def commands(self) -> frozenset[str]:
        return frozenset(self.index.kinds("command"))

    @cached_property
    def make_targets(self) -> frozenset[str]:
        return frozenset(self.index.kinds("make"))

    def resolve(self, ref: Reference) -> Resolution:
        if any(ref.name.startswith(prefix) for prefix in self.external):
            return EXTERNAL
        handler = getattr(self, f"_{ref.kind}")
        return handler(ref)

    # -- names -------------------------------------------------------------------------------

    def _symbol(self, ref: Reference) -> Resolution:
        name = ref.name
        head = name.split(".")[0]
        if head in self.index.packages:
            found = self.python(name)
            if found.status == "missing" and not (ref.explicit or ref.text.endswith(")")):
                return UNKNOWN  # `flask.commands` in prose may be an entry-point group or a key
            return found
        if name in _BUILTINS or (head in _BUILTINS and head not in self.index.short):
            return EXTERNAL
        if "." not in name:
            same = self.index.short.get(name, [])
            if len(same) == 1:  # one definition of that name: the one the doc means
                return Resolution("found", same[0])
            return FOUND if self.defined_anywhere(name) else UNKNOWN
        # `Class.method` or `module.name` written without the package.
        for candidate in self.index.short.get(head, []):
            rest = name.partition(".")[2]
            if self.python(f"{candidate.name}.{rest}").status == "found":
                return Resolution("found", self.python(f"{candidate.name}.{rest}").definition)
        if name in self.index.config_suffixes or any(
            module.endswith(f".{name}") for module in self.index.modules
        ):
            return FOUND
        if self.index.short.get(head) and self.defined_anywhere(name.rpartition(".")[2]):
            return FOUND  # inherited or re-bound somewhere we do not follow
        return UNKNOWN

    def python(self, name: str, hops: int = 0) -> Resolution:
        """A dotted Python name: through modules, re-exports (`from .app import Flask`) and
        star imports, to its definition."""
        index = self.index
        if name in index.modules:
            return FOUND
        if name in index.python:
            return Resolution("found", index.python[name])
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            prefix, rest = ".".join(parts[:cut]), parts[cut:]
            if prefix in index.python:
                # An attribute of a class: inherited when a class here defines the name, else
                # set dynamically or inherited from outside, unseen either way.
                return FOUND if len(rest) == 1 and rest[0] in index.short else UNKNOWN
            if prefix not in index.modules:
                continue
            target = index.exports.get(prefix, {}).get(rest[0])
            if target is not None:
                if hops >= _MAX_ALIAS_HOPS:
                    return UNKNOWN
                found = self.python(".".join([target, *rest[1:]]), hops + 1)
                return found if found.status != "unknown" or len(rest) > 1 else FOUND
            for star in index.stars.get(prefix, []):
                if hops < _MAX_ALIAS_HOPS:
                    found = self.python(".".join([star, *rest]), hops + 1)
                    if found.status == "found":
                        return found
            if f"{prefix}.__getattr__" in index.python or index.stars.get(prefix):
                return UNKNOWN  # the module computes or imports names we cannot list
            return Resolution("missing", reason=f"module {prefix} defines no {rest[0]!r}")
        return UNKNOWN

    def defined_anywhere(self, name: str) -> bool:
        """Defined by the code as any kind of thing (a function, setting, target, variable…)."""
        index = self.index
        return (
            name in index.short
            or name in index.config_suffixes
            or any(module.rpartition(".")[2] == name for module in index.modules)
            or any((kind, name) in index.named for kind in ("env", "config", "command", "make"))
        )

    def _env(self, ref: Reference) -> Resolution:
        # Never `missing`: code reads variables by computed names too (click's auto_envvar_prefix,
        # `from_prefixed_env`), so only history can say one is gone.
        found = self.index.defines("env", ref.name) or self.defined_anywhere(ref.name)
        return FOUND if found else UNKNOWN

    def _config(self, ref: Reference) -> Resolution:
        leaf = ref.name.rpartition(".")[2]
        if ref.name in self.index.config_suffixes or self.defined_anywhere(leaf):
            return FOUND
        return UNKNOWN

    # -- commands ----------------------------------------------------------------------------

    def own_program(self, program: str | None) -> bool:
        if not program:
            return False
        # A console script, `python -m` of a module here, or a script committed here.
        return (
            program in self.programs
            or program in self.index.modules
            or program.removeprefix("./") in self.index.paths
        )

    def _flag(self, ref: Reference) -> Resolution:
        flag = ref.name
        if flag in IMPLICIT_FLAGS or flag in self.flags:
            return FOUND
        negated = "--" + flag.removeprefix("--no-") if flag.startswith("--no-") else None
        if negated in self.flags:
            return FOUND  # click/typer `--x/--no-x`
        if self.own_program(ref.program) and flag.startswith("--") and self.flags:
            return Resolution("missing", reason=f"no command in the code defines {flag}")
        return UNKNOWN if self.own_program(ref.program) or ref.program is None else EXTERNAL

    def _command(self, ref: Reference) -> Resolution:
        # Never `missing`: commands are added by plugins and by the very examples docs show.
        if ref.name in self.commands:
            return FOUND
        return UNKNOWN if self.own_program(ref.program) else EXTERNAL

    def _make(self, ref: Reference) -> Resolution:
        if not self.make_targets:
            return EXTERNAL  # no Makefile here: whatever `make` means, it is not ours
        if ref.name in self.make_targets or self._is_path(ref.name):
            return FOUND
        return Resolution("missing", reason="no Makefile in the repository has this target")

    # -- files and links ---------------------------------------------------------------------

    def _is_path(self, path: str) -> bool:
        return path in self.index.paths or path in self.index.dirs

    def locate(self, doc: str, path: str) -> str | None:
        """The repository path a doc's relative path names (relative to the doc or the root)."""
        if path.startswith("/"):
            stripped = path.strip("/")
            hits = [p for p in self.index.paths if p.endswith(f"/{stripped}") or p == stripped]
            return hits[0] if hits else None
        for base in (str(PurePosixPath(doc).parent), ""):
            candidate = _normalize(f"{base}/{path}" if base not in {"", "."} else path)
            if candidate is not None and self._is_path(candidate.rstrip("/")):
                return candidate.rstrip("/")
        return None

    def _path(self, ref: Reference) -> Resolution:
        if self.locate(ref.doc, ref.name) is not None:
            return FOUND
        name = ref.name.rstrip("/")
        if ref.name.startswith("/") or not name.strip("./"):
            return UNKNOWN  # an absolute path (or a URL route) is the machine's, not ours
        if "/" not in name:
            if any(p.rpartition("/")[2] == name for p in self.index.paths):
                return FOUND
            if _PY_NAME.fullmatch(name) and self.python(name).status == "found":
                return FOUND  # `flask.json`: a module, not a file
            return UNKNOWN
        if any(p.endswith(f"/{name}") for p in self.index.paths | self.index.dirs):
            return FOUND
        return self._missing_under_known_dir(ref.doc, name)

    def _missing_under_known_dir(self, doc: str, name: str) -> Resolution:
        parent = str(PurePosixPath(name).parent)
        for base in ("", str(PurePosixPath(doc).parent)):
            folder = _normalize(f"{base}/{parent}" if base not in {"", "."} else parent)
            # A bare top-level folder (`tests/x`) may be the reader's project, not this one.
            specific = folder is not None and ("/" in folder or PurePosixPath(name).suffix)
            if folder and specific and folder in self.index.dirs:
                return Resolution("missing", reason=f"{folder}/ has no {PurePosixPath(name).name}")
        return UNKNOWN

    def _link(self, ref: Reference) -> Resolution:
        name = ref.name
        if name.endswith((".html", ".htm")) or not name or ":" in name:
            return UNKNOWN  # built output, not a source file
        if self.locate(ref.doc, name) is not None:
            return FOUND
        stem = name.removesuffix(".rst")
        for suffix in (".md", ".ipynb", ".txt", ".rst", ""):
            if self.locate(ref.doc, stem + suffix) is not None:
                return FOUND
        if name.startswith("/"):
            return UNKNOWN  # rooted at a doc tree whose root we do not know
        if "/" not in name:
            # MyST and Sphinx read `[text](target)` as a cross-reference too: to an object
            # (`pkg.mod.Class.method`), judged as the symbol, or to a label (`install-guide`),
            # which names no file.
            if _PY_NAME.fullmatch(name) and name.split(".")[0] in self.index.packages:
                return self._symbol(dataclasses.replace(ref, kind="symbol", explicit=True))
            if not PurePosixPath(name).suffix:
                return UNKNOWN
        return self._missing_under_known_dir(ref.doc, name)

    def _anchor(self, ref: Reference) -> Resolution:
        target, _, anchor = ref.name.partition("#")
        doc = self.locate(ref.doc, target) if target else ref.doc
        if doc is None or doc not in self.anchors:
            return UNKNOWN  # not a Markdown doc we read: its anchors are unknown
        if anchor in self.anchors[doc] or anchor.lower() in self.anchors[doc]:
            return FOUND
        if re.fullmatch(r"L\d+(-L\d+)?", anchor):
            return FOUND  # a line anchor into a source file
        return Resolution("missing", reason=f"{doc} has no heading or anchor #{anchor}")


_PY_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def _normalize(path: str) -> str | None:
    """`a/b/../c` -> `a/c`; None when the path climbs out of the repository."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in {"", "."}:
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)
