"""`handrail guard shell`: a $SHELL that judges each `-c` command, run as real processes."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from gitrepo import GitRepo
from handrail.guard import engine, shell_wrapper
from handrail.guard.shell_wrapper import DENIED_EXIT, command_text

# What an agent runs when $SHELL is the wrapper (the `handrail-guard-shell` entry point).
WRAPPER = [sys.executable, "-c", "from handrail.guard.shell_wrapper import entry; entry()"]
POLICY = """\
[[guard.rule]]
id = "deploy-needs-a-human"
command = ["make", "deploy"]
decision = "ask"

[[guard.rule]]
id = "never-drop"
command = ["make", "drop-db"]
decision = "deny"
"""
# Safety net for the pseudo-terminal test: never hang the suite (not a timing assertion).
WAIT_SECONDS = 60


@pytest.fixture
def project(repo: GitRepo, tmp_path: Path) -> GitRepo:
    repo.write("handrail.toml", POLICY)
    repo.write("Makefile", "deploy:\n\t@echo deployed > deployed.txt\ndrop-db:\n\t@echo dropped\n")
    return repo


def shell_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "HANDRAIL_GUARD_LOG": str(tmp_path / "log"), **extra}


def wrapper(
    args: list[str], cwd: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WRAPPER, *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env,
        check=False,
    )  # fmt: skip


def test_an_allowed_command_runs_as_bash_would_run_it(project: GitRepo, tmp_path: Path) -> None:
    done = wrapper(
        ["-c", 'read line; echo "$0 $1 got $line"; echo oops >&2; exit 7', "zero", "one"],
        project.path,
        shell_env(tmp_path),
        stdin="hello\n",
    )
    assert (done.returncode, done.stdout, done.stderr) == (7, "zero one got hello\n", "oops\n")
    assert '"decision": "allow"' in (tmp_path / "log").read_text()


def test_options_before_c_are_passed_to_the_real_shell(project: GitRepo, tmp_path: Path) -> None:
    done = wrapper(["-e", "-o", "pipefail", "-c", "false | true; echo unreachable"],
                   project.path, shell_env(tmp_path))  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""


def test_a_denied_command_does_not_run(project: GitRepo, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "keep").mkdir(parents=True)
    done = wrapper(["-c", "rm -rf ~"], project.path, shell_env(tmp_path, HOME=str(home)))
    assert done.returncode == DENIED_EXIT
    assert "[filesystem." in done.stderr
    assert "not run: rm -rf ~" in done.stderr
    assert (home / "keep").is_dir()


def test_the_projects_own_deny_rule_applies(project: GitRepo, tmp_path: Path) -> None:
    done = wrapper(["-lc", "make drop-db"], project.path, shell_env(tmp_path))
    assert done.returncode == DENIED_EXIT
    assert "[never-drop]" in done.stderr
    assert "dropped" not in done.stdout


def test_ask_without_a_terminal_is_refused_with_how_to_approve(
    project: GitRepo, tmp_path: Path
) -> None:
    done = wrapper(["-c", "make deploy"], project.path, shell_env(tmp_path))
    assert done.returncode == DENIED_EXIT
    assert '"deploy-needs-a-human" = "allow"' in done.stderr
    assert not (project.path / "deployed.txt").exists()


def on_terminal(args: list[str], cwd: Path, env: dict[str, str], reply: bytes) -> tuple[int, str]:
    """Run the wrapper with a pseudo-terminal as its controlling terminal; answer its prompt."""
    pid, master = pty.fork()
    if pid == 0:  # the child: becomes the wrapper
        os.chdir(cwd)
        os.execve(WRAPPER[0], [*WRAPPER, *args], env)
    seen = b""
    replied = False
    while True:
        ready, _, _ = select.select([master], [], [], WAIT_SECONDS)
        if not ready:
            os.kill(pid, 9)
            break
        try:
            chunk = os.read(master, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if not replied and b"[y/N]" in seen:
            os.write(master, reply)
            replied = True
    _, status = os.waitpid(pid, 0)
    os.close(master)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


@pytest.mark.parametrize(("reply", "runs"), [(b"y\n", True), (b"\n", False), (b"no\n", False)])
def test_ask_on_a_terminal_asks_the_human(
    project: GitRepo, tmp_path: Path, reply: bytes, runs: bool
) -> None:
    code, shown = on_terminal(["-c", "make deploy"], project.path, shell_env(tmp_path), reply)
    assert "[deploy-needs-a-human]" in shown
    assert (project.path / "deployed.txt").exists() is runs
    assert code == (0 if runs else DENIED_EXIT)


def test_prompting_can_be_turned_off_for_agents_that_drive_a_terminal(
    project: GitRepo, tmp_path: Path
) -> None:
    env = shell_env(tmp_path, HANDRAIL_GUARD_NO_PROMPT="1")
    code, shown = on_terminal(["-c", "make deploy"], project.path, env, b"y\n")
    assert code == DENIED_EXIT
    assert "[y/N]" not in shown
    assert not (project.path / "deployed.txt").exists()


def test_without_c_the_real_shell_runs_as_is(project: GitRepo, tmp_path: Path) -> None:
    done = wrapper([], project.path, shell_env(tmp_path), stdin="echo from stdin\n")
    assert (done.returncode, done.stdout) == (0, "from stdin\n")


def test_the_real_shell_can_be_chosen(project: GitRepo, tmp_path: Path) -> None:
    env = shell_env(tmp_path, HANDRAIL_REAL_SHELL="/bin/sh")
    assert wrapper(["-c", "echo $0"], project.path, env).stdout == "/bin/sh\n"


def test_a_missing_real_shell_is_reported(project: GitRepo, tmp_path: Path) -> None:
    env = shell_env(tmp_path, HANDRAIL_REAL_SHELL=str(tmp_path / "no-such-shell"))
    done = wrapper(["-c", "echo hi"], project.path, env)
    assert done.returncode == DENIED_EXIT
    assert "cannot run" in done.stderr


def test_an_engine_failure_refuses_the_command(
    project: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(text: str, context: object) -> None:
        raise RuntimeError("engine down")

    executed: list[list[str]] = []
    monkeypatch.setattr(engine, "decide_command", broken)
    monkeypatch.setattr(shell_wrapper.os, "execv", lambda path, args: executed.append(args))
    monkeypatch.setattr(shell_wrapper, "_has_terminal", lambda: False)
    monkeypatch.chdir(project.path)
    assert shell_wrapper.main(["-c", "echo hi"]) == DENIED_EXIT
    assert executed == []
    assert "RuntimeError: engine down" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["-c", "ls"], "ls"),
        (["-lc", "ls -la", "name"], "ls -la"),
        (["-l", "-c", "ls"], "ls"),
        (["-c", "-e", "ls"], "ls"),
        (["-o", "pipefail", "-c", "ls"], "ls"),
        (["--login", "-c", "ls"], "ls"),
        (["-c", "--", "ls"], "ls"),
        (["script.sh", "-c"], None),
        (["-i"], None),
        (["-o", "c", "x"], None),  # `c` is the value of -o, not the -c flag
        ([], None),
    ],
)
def test_finding_the_command_of_c(argv: list[str], command: str | None) -> None:
    assert command_text(argv) == command


@pytest.mark.parametrize(
    "launcher",
    [
        [sys.executable, "-m", "handrail", "guard", "shell"],
        [str(Path(sys.executable).with_name("handrail-guard-shell"))],
    ],
    ids=["handrail guard shell", "handrail-guard-shell"],
)
def test_the_installed_commands_take_c_as_a_shell_does(
    project: GitRepo, tmp_path: Path, launcher: list[str]
) -> None:
    env = shell_env(tmp_path)
    ran = subprocess.run(
        [*launcher, "-c", "echo $((6 * 7))"],
        capture_output=True, text=True, cwd=project.path, env=env, check=False,
    )  # fmt: skip
    assert (ran.returncode, ran.stdout) == (0, "42\n")
    refused = subprocess.run(
        [*launcher, "-c", "make drop-db"],
        capture_output=True, text=True, cwd=project.path, env=env, check=False,
    )  # fmt: skip
    assert refused.returncode == DENIED_EXIT and "never-drop" in refused.stderr
