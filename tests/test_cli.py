"""The command-line contract: options everywhere, exit codes, one-line errors, JSON, progress."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from gitrepo import GitRepo, act_as
from handrail import __version__, commands

COMMANDS = [commands.load(name) for name in commands.NAMES]


def handrail_argv(repo: GitRepo, fmt: str, command: str) -> list[str]:
    """The command line of a real `handrail` process (for tests that need one)."""
    return [sys.executable, "-m", "handrail", "--repo", str(repo.path), "--format", fmt, command]


def test_version_and_help_with_examples(handrail) -> None:
    assert handrail("--version").out.strip() == f"handrail {__version__}"
    top = handrail("--help")
    assert top.code == 0 and "examples:" in top.out and "exit codes:" in top.out
    for command in COMMANDS:
        sub = handrail(command.NAME, "--help")
        assert sub.code == 0 and "--repo" in sub.out and "--format" in sub.out
        assert "examples:" in sub.out


# What each command needs beyond --repo and --format to run on a small repository.
EXTRA_ARGUMENTS = {
    "init": ["--stdout"],
    "check": ["--base", "HEAD~1"],
    "guard": ["check", "--command", "ls"],
    "docs": ["check"],
}


@pytest.mark.parametrize("command", [c.NAME for c in COMMANDS])
def test_every_command_takes_repo_and_format_before_or_after(
    repo: GitRepo, handrail, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    act_as(monkeypatch, ("Ada Lovelace", "ada@example.org"))  # `approve` acts as the git user
    repo.linear(2)
    extra = EXTRA_ARGUMENTS.get(command, [])
    after = handrail(command, "--repo", repo.path, "--format", "json", *extra)
    before = handrail("--repo", repo.path, "--format", "json", command, *extra)
    assert after.code == before.code == 0, (after.err, before.err)
    if command != "init":  # init --stdout prints TOML, not a report
        assert after.json.keys() == before.json.keys()


def test_not_a_repository_is_exit_2_with_one_line(tmp_path, handrail) -> None:
    result = handrail("--repo", tmp_path, "history")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"handrail: error: {tmp_path}: not a git repository")


def test_missing_directory_and_unknown_revision(tmp_path, repo: GitRepo, handrail) -> None:
    missing = handrail("--repo", tmp_path / "nope", "history")
    assert missing.code == 2 and "no such directory (given as --repo)" in missing.err
    repo.linear(1)
    unknown = handrail("--repo", repo.path, "history", "--rev", "v9.9")
    assert unknown.code == 2 and "unknown revision 'v9.9'" in unknown.err


def test_usage_error_is_exit_2(handrail) -> None:
    assert handrail("history", "--no-such-flag").code == 2
    assert handrail("no-such-command").code == 2


def test_history_json_contract(repo: GitRepo, handrail) -> None:
    repo.commit("one", {"a.py": "1\n2\n"}, author=("Ann Lee", "ann@x.example"))
    repo.commit("two", {"b.py": "1\n"}, author=("Ann Lee", "ann@y.example"))
    repo.commit("three", {"a.py": "1\n"}, author=("Bo Chan", "bo@x.example"))
    data = handrail("--repo", repo.path, "history", "--format", "json").json
    assert data["commits"] == 3
    assert data["people"] == 2 and data["identities"] == 3 and data["alias_merges"] == 1
    assert data["files"] == 2
    assert data["first_commit"]["date"] == "2024-01-01T00:01:00+00:00"
    assert data["last_commit"]["date"] == "2024-01-01T00:03:00+00:00"
    assert data["top_contributors"][0]["name"] == "Ann Lee"
    assert data["top_contributors"][0]["commits"] == 2
    assert data["partial"] is False and data["mining"]["new_commits"] == 3


def test_history_text_names_partial_history(make_repo, repo: GitRepo, handrail) -> None:
    repo.linear(3)
    clone = make_repo("shallow")
    clone.git("fetch", "-q", "--depth", "1", f"file://{repo.path}", "main")
    clone.git("checkout", "-q", "FETCH_HEAD")
    result = handrail("--repo", clone.path, "history")
    assert result.code == 0 and "partial history: shallow clone" in result.out
    assert "1 commits" in result.out


def test_empty_repository_summary(repo: GitRepo, handrail) -> None:
    data = handrail("--repo", repo.path, "history", "--format", "json").json
    assert data["commits"] == 0 and data["first_commit"] is None and data["head"] is None


def test_no_progress_bar_or_noise_off_a_terminal(repo: GitRepo) -> None:
    repo.linear(3)
    for fmt in ("text", "json"):
        proc = subprocess.run(
            handrail_argv(repo, fmt, "history"),
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0 and proc.stderr == ""


def test_internal_errors_are_logged_not_dumped(repo: GitRepo, handrail, monkeypatch) -> None:
    repo.linear(1)
    from handrail.commands import history

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(history, "history_facts", broken)
    result = handrail("--repo", repo.path, "history")
    assert result.code == 3
    assert "internal error: RuntimeError: boom" in result.err
    assert "Traceback" not in result.err and "crash.log" in result.err


def test_progress_bar_on_a_terminal_only_for_text(repo: GitRepo) -> None:
    repo.linear(3)

    def stderr_on_a_terminal(fmt: str) -> bytes:
        leader, follower = pty.openpty()
        proc = subprocess.Popen(
            handrail_argv(repo, fmt, "history"),
            stdout=subprocess.DEVNULL,
            stderr=follower,
            env={**os.environ, "TERM": "xterm"},
        )
        os.close(follower)
        captured = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the process is gone
                break
            if not chunk:
                break
            captured += chunk
        proc.wait()
        os.close(leader)
        return captured

    assert b"reading history" in stderr_on_a_terminal("text")
    assert stderr_on_a_terminal("json") == b""


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_reader_that_goes_away_is_not_an_error(repo: GitRepo, fmt: str) -> None:
    repo.linear(3)
    proc = subprocess.Popen(
        handrail_argv(repo, fmt, "people"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -0`: every write now fails with a broken pipe
    assert proc.wait() == 0
    assert proc.stderr.read() == b""


def test_unreadable_config_file_is_exit_2(repo: GitRepo, handrail) -> None:
    (repo.path / "handrail.toml").mkdir()
    result = handrail("--repo", repo.path, "config")
    assert result.code == 2
    assert result.err.strip() == (
        f"handrail: error: {repo.path / 'handrail.toml'}: cannot read (Is a directory)"
    )


def test_history_summary_counts_only_what_rev_reaches(repo: GitRepo, handrail) -> None:
    first = repo.commit("one", {"a.py": "1\n2\n"}, author=("Ann Lee", "ann@x.example"))
    repo.commit("two", {"b.bin": b"\x00\x01"}, author=("Bo Chan", "bo@x.example"))
    repo.commit("three", renames={"a.py": "c.py"}, author=("Bo Chan", "bo@x.example"))
    full = handrail("--repo", repo.path, "history", "--format", "json").json
    assert (full["commits"], full["people"], full["files"]) == (3, 2, 3)
    assert (full["binary_changes"], full["renames"], full["lines_added"]) == (1, 1, 2)
    # The cache now holds all three; an older revision must see only its own past.
    old = handrail("--repo", repo.path, "history", "--rev", first, "--format", "json").json
    assert (old["commits"], old["people"], old["files"], old["binary_changes"]) == (1, 1, 1, 0)
    assert old["first_commit"]["sha"] == old["last_commit"]["sha"] == first
    assert old["top_contributors"][0]["lines_added"] == 2
