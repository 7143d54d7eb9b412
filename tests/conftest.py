from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gitrepo import BASE_ENV, GitRepo
from handrail.cli import main


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    # handrail's own git calls must not read the developer's configuration either.
    for key in list(__import__("os").environ):
        if key.startswith("GIT_"):
            monkeypatch.delenv(key)
    for key in ("GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "HOME"):
        monkeypatch.setenv(key, BASE_ENV[key])


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., GitRepo]:
    """Build a fresh repository: make_repo() or make_repo("name", bare=True)."""
    counter = iter(range(1000))

    def build(name: str | None = None, bare: bool = False) -> GitRepo:
        return GitRepo(tmp_path / (name or f"repo{next(counter)}"), bare=bare)

    return build


@pytest.fixture
def repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    return make_repo()


class Run:
    """The outcome of one in-process `handrail` invocation."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def json(self) -> dict:
        return json.loads(self.out)


@pytest.fixture
def handrail(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    def invoke(*args: str | Path) -> Run:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse usage errors
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return invoke
