"""Plain data every analysis reads: commits, identities, file changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone


@dataclass(frozen=True, slots=True)
class Identity:
    """A name and e-mail exactly as written in a commit (before any alias merging)."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True, slots=True)
class Signature:
    """Who, and when, in their own time zone."""

    identity: Identity
    time: int  # seconds since the epoch
    tz_offset: int  # minutes east of UTC

    @property
    def when(self) -> datetime:
        tz = UTC if self.tz_offset == 0 else timezone(timedelta(minutes=self.tz_offset))
        return datetime.fromtimestamp(self.time, tz)


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file's line counts in one commit; counts are None for a binary file."""

    path: str
    added: int | None
    deleted: int | None
    old_path: str | None = None  # set when the file was renamed or copied from here
    status: str = "M"  # "A": the commit created the file, "D": deleted it, "M": anything else

    @property
    def binary(self) -> bool:
        return self.added is None


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit and its per-file line statistics (empty for merges, as in `git log`)."""

    sha: str
    parents: tuple[str, ...]
    author: Signature
    committer: Signature
    message: str
    trailers: tuple[tuple[str, str], ...]
    files: tuple[FileChange, ...]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    def trailer_values(self, key: str) -> list[str]:
        """Values of one trailer key, compared case-insensitively as git does."""
        wanted = key.casefold()
        return [value for k, value in self.trailers if k.casefold() == wanted]
