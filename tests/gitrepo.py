"""One factory for the real git repositories every test builds."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

# Tests must not see the developer's own git configuration.
BASE_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "HOME": os.devnull,
}

Author = tuple[str, str]
DEFAULT_AUTHOR: Author = ("Ada Lovelace", "ada@example.org")


def identity_env(who: Author) -> dict[str, str]:
    """The variables git reads for who commits (what user.name/user.email would say)."""
    return {
        f"GIT_{role}_{field}": value
        for role in ("AUTHOR", "COMMITTER")
        for field, value in (("NAME", who[0]), ("EMAIL", who[1]))
    }


def act_as(monkeypatch: pytest.MonkeyPatch, who: Author) -> None:
    """Make `who` the current git user for the processes a test starts (e.g. `approve`)."""
    for name, value in identity_env(who).items():
        monkeypatch.setenv(name, value)


class GitRepo:
    """A real repository in a temporary directory, with helpers to write history."""

    def __init__(self, path: Path, bare: bool = False) -> None:
        self.path = path
        self._tick = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main", *(["--bare"] if bare else []))

    def git(
        self, *args: str | bytes, env: Mapping[str, str] | None = None, input: bytes | None = None
    ) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env={**BASE_ENV, **(env or {})},
            input=input,
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(f"git {args!r} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode("utf-8", "surrogateescape").strip()

    def write(self, path: str | bytes, content: str | bytes) -> None:
        target = self.path / os.fsdecode(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)

    def commit(
        self,
        message: str | bytes = "change",
        files: Mapping[str | bytes, str | bytes | None] | None = None,
        *,
        author: Author = DEFAULT_AUTHOR,
        committer: Author | None = None,
        date: str | None = None,
        trailers: Sequence[tuple[str, str]] = (),
        renames: Mapping[str, str] | None = None,
        encoding: str | None = None,
    ) -> str:
        """Commit the given file contents (None deletes a file); returns the new commit id."""
        for old, new in (renames or {}).items():
            (self.path / new).parent.mkdir(parents=True, exist_ok=True)
            self.git("mv", old, new)
        for path, content in (files or {}).items():
            if content is None:
                self.git("rm", "-q", os.fsdecode(path))
            else:
                self.write(path, content)
                self.git("add", os.fsdecode(path))
        self._tick += 1
        # One minute apart from 2024-01-01, in git's raw "epoch zone" date form.
        when = date or f"{1704067200 + 60 * self._tick} +0000"
        who = committer or author
        env = {
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": who[0],
            "GIT_COMMITTER_EMAIL": who[1],
            "GIT_COMMITTER_DATE": when,
        }
        body = message if isinstance(message, bytes) else message.encode(encoding or "utf-8")
        if trailers:
            body += b"\n\n" + b"\n".join(f"{k}: {v}".encode() for k, v in trailers)
        config = ["-c", f"i18n.commitEncoding={encoding}"] if encoding else []
        self.git(*config, "commit", "-q", "--allow-empty", "-F", "-", env=env, input=body)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, rev: str) -> None:
        self.git("checkout", "-q", rev)

    def merge(self, branch: str, message: str = "merge", author: Author = DEFAULT_AUTHOR) -> str:
        self.git("merge", "-q", "--no-ff", "-m", message, branch, env=identity_env(author))
        return self.head()

    def linear(
        self, count: int, prefix: str = "file", author: Author = DEFAULT_AUTHOR
    ) -> list[str]:
        """`count` commits, each adding one small file."""
        return [
            self.commit(f"add {prefix} {n}", {f"{prefix}{n}.txt": f"line {n}\n"}, author=author)
            for n in range(count)
        ]
