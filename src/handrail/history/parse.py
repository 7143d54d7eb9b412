"""Turn the NUL-separated stream of `git log -z --numstat` (see git.LOG_FORMAT) into commits.

The stream is read in chunks, so memory holds one chunk and one commit, never the whole log.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Iterator
from dataclasses import replace
from typing import BinaryIO

from handrail.errors import HandrailError
from handrail.model import Commit, FileChange, Identity, Signature

_CHUNK = 1 << 20
_HEADER_FIELDS = 10


def _text(raw: bytes) -> str:
    # git re-encodes messages that declare an encoding; undeclared junk bytes are shown, not fatal.
    return raw.decode("utf-8", "replace")


def path_text(raw: bytes) -> str:
    """A path as str that still round-trips to its exact bytes (like os.fsdecode)."""
    return raw.decode("utf-8", "surrogateescape")


@functools.cache
def _identity(name: bytes, email: bytes) -> Identity:
    # A few thousand people write a history's commits: decode each of them once.
    return Identity(_text(name), _text(email))


@functools.cache
def _zone_minutes(zone: bytes) -> int:
    """git's "+0530" as minutes east of UTC."""
    sign = -1 if zone.startswith(b"-") else 1
    digits = zone.lstrip(b"+-").rjust(4, b"0")
    return sign * (int(digits[:-2]) * 60 + int(digits[-2:]))


def _signature(name: bytes, email: bytes, raw_date: bytes) -> Signature:
    seconds, _, zone = raw_date.partition(b" ")
    return Signature(_identity(name, email), int(seconds or b"0"), _zone_minutes(zone))


# git.LOG_FORMAT separates trailers by GS and key from value by FS; the cache keeps that form.
_TRAILER_SEP, _KEY_SEP = "\x1d", "\x1c"


def decode_trailers(text: str) -> tuple[tuple[str, str], ...]:
    if not text:  # most commits have no trailers
        return ()
    pairs = []
    for item in text.split(_TRAILER_SEP):
        key, sep, value = item.partition(_KEY_SEP)
        if sep:
            pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def encode_trailers(pairs: tuple[tuple[str, str], ...]) -> str:
    return _TRAILER_SEP.join(f"{key}{_KEY_SEP}{value}" for key, value in pairs)


def _unquote(raw: bytes) -> bytes:
    """A path as `--summary` prints it: C-quoted by git when it holds special bytes."""
    if not (raw.startswith(b'"') and raw.endswith(b'"')):
        return raw
    return codecs.escape_decode(raw[1:-1])[0]


# "--summary" lines that matter here; renames come from numstat, mode changes change nothing.
_SUMMARY_STATUS = {b" create mode ": "A", b" delete mode ": "D"}


class _Builder:
    """Collects one commit's header, file lines and creations/deletions."""

    __slots__ = ("fields", "files", "statuses")

    def __init__(self, header: bytes) -> None:
        self.fields = header[1:].split(b"\x1f", _HEADER_FIELDS - 1)
        if len(self.fields) != _HEADER_FIELDS:
            raise HandrailError(f"unexpected git log output near {header[:60]!r}")
        self.files: list[FileChange] = []
        self.statuses: dict[str, str] = {}

    def add_summary(self, text: bytes) -> None:
        # " create mode 100644 path": the mode is one word, the path is the rest of the line.
        for line in text.split(b"\n"):
            status = _SUMMARY_STATUS.get(line[:13])
            if status:
                path = line[13:].partition(b" ")[2]
                self.statuses[path_text(_unquote(path))] = status

    def build(self) -> Commit:
        sha, parents, an, ae, ad, cn, ce, cd, trailers, message = self.fields
        files = self.files
        if self.statuses:
            files = [
                replace(f, status=self.statuses[f.path])
                if f.old_path is None and f.path in self.statuses
                else f
                for f in files
            ]
        return Commit(
            sha=sha.decode(),
            parents=tuple(parents.decode().split()),
            author=_signature(an, ae, ad),
            committer=_signature(cn, ce, cd),
            message=_text(message).rstrip("\n"),
            trailers=decode_trailers(_text(trailers)),
            files=tuple(files),
        )


def _count(raw: bytes) -> int | None:
    return None if raw == b"-" else int(raw)


def parse_log(stream: BinaryIO) -> Iterator[Commit]:
    """Yield commits in the order git writes them."""
    current: _Builder | None = None
    rename_counts: tuple[int | None, int | None] | None = None
    rename_paths: list[bytes] = []
    rest = b""
    while chunk := stream.read(_CHUNK):
        tokens = (rest + chunk).split(b"\0")
        rest = tokens.pop()
        for token in tokens:
            if rename_counts is not None:
                # A rename is "added TAB deleted TAB" NUL old NUL new: the paths come as tokens.
                rename_paths.append(token)
                if len(rename_paths) == 2:
                    old, new = rename_paths
                    assert current is not None
                    current.files.append(
                        FileChange(path_text(new), *rename_counts, old_path=path_text(old))
                    )
                    rename_counts, rename_paths = None, []
                continue
            if token.lstrip(b"\n").startswith(b" "):
                # The summary ends a commit's file lines; the next header follows without a NUL.
                summary, mark, token = token.partition(b"\x1e")
                if current is not None:
                    current.add_summary(summary)
                if not mark:
                    continue
                token = mark + token
            if token.startswith(b"\x1e"):
                if current is not None:
                    yield current.build()
                current = _Builder(token)
                continue
            line = token.lstrip(b"\n")
            if not line:
                continue
            if current is None:
                raise HandrailError(f"unexpected git log output: {line[:60]!r}")
            added, deleted, path = line.split(b"\t", 2)
            if path:
                current.files.append(FileChange(path_text(path), _count(added), _count(deleted)))
            else:
                rename_counts = (_count(added), _count(deleted))
    if rest.lstrip(b"\n").startswith(b" "):
        summary, mark, rest = rest.partition(b"\x1e")
        if current is not None:
            current.add_summary(summary)
        rest = mark + rest
    if rest.startswith(b"\x1e"):
        # A last commit without file changes is not followed by a NUL.
        if current is not None:
            yield current.build()
        current = _Builder(rest)
    if current is not None:
        yield current.build()
