"""Per-blob results kept under `<git-dir>/handrail/docs/`, written atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

from handrail import git


def location(repo: git.RepoInfo, name: str, readers: tuple[ModuleType, ...] = ()) -> Path:
    """Where results named `name` live; with `readers`, a change to their code starts afresh."""
    folder = repo.git_dir / "handrail" / "docs"
    if not readers:
        return folder / name
    digest = hashlib.blake2b(digest_size=6)
    for module in readers:
        digest.update(Path(module.__file__ or "").read_bytes())
    return folder / f"{name}-{digest.hexdigest()}.msgpack"


def load(path: Path, kind: Any) -> dict[str, Any]:
    """The stored entries, or none when the file is missing or unusable (then rebuilt)."""
    try:
        return msgspec.msgpack.decode(path.read_bytes(), type=dict[str, kind])
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return {}


def save(path: Path, entries: dict[str, Any]) -> None:
    """Write to a temporary file, then rename it: a reader never sees half a cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    except OSError:
        return  # a read-only repository still gets answers, just not remembered ones
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(msgspec.msgpack.encode(entries))
        Path(temporary).replace(path)
    except OSError:
        pass  # a full disk: the same; the temporary file goes below
    finally:
        Path(temporary).unlink(missing_ok=True)


def prune(path: Path, family: str) -> None:
    """Delete the other files of `family` beside `path`: results for inputs no run asks for."""
    for other in path.parent.glob(f"{family}-*.msgpack"):
        if other != path:
            other.unlink(missing_ok=True)
