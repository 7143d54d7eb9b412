"""`handrail guard install`: the agent's settings file merged (never clobbered), idempotent,
atomic, refusing malformed files, and a hook command that really runs the guard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import Run
from gitrepo import GitRepo
from handrail.errors import HandrailError
from handrail.guard.install import LAYOUTS, install, is_guard_command

PYTHON_M = [sys.executable, "-m", "handrail"]
SETTINGS = {agent: layout.relative_path for agent, layout in LAYOUTS.items()}


def settings(repo: GitRepo, agent: str) -> dict[str, Any]:
    return json.loads((repo.path / SETTINGS[agent]).read_text())


def guard_handlers(document: dict[str, Any], agent: str) -> list[tuple[str, str | None]]:
    """(event, matcher) of every handrail guard handler in a settings document."""
    found = []
    for event, entries in document.get("hooks", {}).items():
        for entry in entries:
            handlers = entry.get("hooks", [entry])
            for handler in handlers:
                if is_guard_command(handler.get("command"), agent):
                    found.append((event, entry.get("matcher")))
    return found


EXPECTED = {
    "claude": [
        ("PreToolUse", "Bash|Write|Edit|MultiEdit|NotebookEdit"),
        ("PreToolUse", "mcp__.*"),
    ],
    "codex": [("PreToolUse", "Bash|apply_patch|mcp__.*")],
    "cursor": [("beforeShellExecution", None), ("beforeMCPExecution", None)],
    "gemini": [("BeforeTool", "run_shell_command|write_file|replace|edit|mcp__.*|.*__.*")],
}


@pytest.mark.parametrize("agent", sorted(LAYOUTS))
def test_install_creates_the_settings_and_a_second_install_changes_nothing(
    repo: GitRepo, agent: str
) -> None:
    first = install(agent, str(repo.path), "project", PYTHON_M)
    path = repo.path / SETTINGS[agent]
    assert (first.created, first.changed, first.path) == (True, True, str(path))
    assert guard_handlers(settings(repo, agent), agent) == EXPECTED[agent]
    written, stamp = path.read_bytes(), path.stat().st_mtime_ns
    second = install(agent, str(repo.path), "project", PYTHON_M)
    assert (second.created, second.changed, second.changes) == (False, False, [])
    assert path.read_bytes() == written
    assert path.stat().st_mtime_ns == stamp


def test_cursor_hooks_fail_closed_and_carry_a_version(repo: GitRepo) -> None:
    install("cursor", str(repo.path), "project", PYTHON_M)
    document = settings(repo, "cursor")
    assert document["version"] == 1
    # failClosed does what the shell fallback does elsewhere: no `||` for Cursor to mis-split
    assert "||" not in document["hooks"]["beforeShellExecution"][0]["command"]
    assert all(entry["failClosed"] is True for entries in document["hooks"].values()
               for entry in entries)  # fmt: skip


def test_merge_keeps_every_other_key_and_hook_and_the_files_style(repo: GitRepo) -> None:
    mine = {
        "permissions": {"allow": ["Bash(npm test:*)"], "deny": ["Read(./.env)"]},
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/audit.sh"}]}
            ],
            "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}],
        },
        "model": "opus",
    }
    repo.write(".claude/settings.json", json.dumps(mine, indent=4) + "\n")
    result = install("claude", str(repo.path), "project", PYTHON_M)
    assert result.changed and not result.created
    merged = settings(repo, "claude")
    assert list(merged) == ["permissions", "hooks", "model"]
    assert merged["permissions"] == mine["permissions"]
    assert merged["model"] == "opus"
    assert merged["hooks"]["Stop"] == mine["hooks"]["Stop"]
    assert merged["hooks"]["PreToolUse"][0] == mine["hooks"]["PreToolUse"][0]
    assert len(merged["hooks"]["PreToolUse"]) == 3
    text = (repo.path / ".claude/settings.json").read_text()
    assert '\n    "permissions"' in text  # four spaces, as the user wrote it


def test_gemini_settings_keep_their_other_sections(repo: GitRepo) -> None:
    repo.write(
        ".gemini/settings.json", '{"theme": "GitHub", "mcpServers": {"db": {"command": "x"}}}'
    )
    install("gemini", str(repo.path), "project", PYTHON_M)
    document = settings(repo, "gemini")
    assert document["theme"] == "GitHub"
    assert document["mcpServers"] == {"db": {"command": "x"}}


def test_a_moved_handrail_updates_its_entry_instead_of_adding_one(repo: GitRepo) -> None:
    install("codex", str(repo.path), "project", ["/old/venv/bin/handrail"])
    result = install("codex", str(repo.path), "project", ["/new/venv/bin/handrail"])
    assert result.changes == ["hooks.PreToolUse[Bash|apply_patch|mcp__.*]: updated"]
    entries = settings(repo, "codex")["hooks"]["PreToolUse"]
    assert len(entries) == 1
    assert entries[0]["hooks"][0]["command"].startswith("/new/venv/bin/handrail guard")


def test_an_entry_under_an_older_matcher_is_replaced_not_doubled(repo: GitRepo) -> None:
    old = {"type": "command", "command": "/usr/local/bin/handrail guard --agent claude"}
    other = {"type": "command", "command": "./lint.sh"}
    repo.write(
        ".claude/settings.json",
        json.dumps({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [old, other]}]}}),
    )
    result = install("claude", str(repo.path), "project", PYTHON_M)
    assert "hooks.PreToolUse: removed an older handrail entry" in result.changes
    entries = settings(repo, "claude")["hooks"]["PreToolUse"]
    assert entries[0] == {"matcher": "Bash", "hooks": [other]}
    assert guard_handlers(settings(repo, "claude"), "claude") == EXPECTED["claude"]


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('{\n  "hooks": {\n    "PreToolUse": [,]\n  }\n}\n', ":3:20: invalid JSON"),
        ('{"hooks": []}', "hooks is a list, expected an object"),
        ('{"hooks": {"PreToolUse": {"matcher": "Bash"}}}', "hooks.PreToolUse is a dict"),
        ("[1]", "holds a JSON list"),
    ],
)
def test_a_malformed_file_is_reported_and_left_untouched(
    repo: GitRepo, content: str, where: str
) -> None:
    repo.write(".claude/settings.json", content)
    path = repo.path / ".claude/settings.json"
    with pytest.raises(HandrailError) as raised:
        install("claude", str(repo.path), "project", PYTHON_M)
    assert str(path) in str(raised.value)
    assert where in str(raised.value)
    assert path.read_text() == content
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temporary left


def test_the_cli_reports_a_malformed_file_with_exit_2(
    repo: GitRepo, handrail: Callable[..., Run]
) -> None:
    repo.write(".cursor/hooks.json", "{ version: 1 }")
    done = handrail("guard", "install", "--agent", "cursor", "--repo", repo.path)
    assert done.code == 2
    assert ".cursor/hooks.json:1:3: invalid JSON" in done.err
    assert len(done.err.strip().splitlines()) == 1


def test_the_cli_installs(repo: GitRepo, handrail: Callable[..., Run]) -> None:
    done = handrail("guard", "install", "--agent", "gemini", "--repo", repo.path)
    assert done.code == 0, done.err
    assert guard_handlers(settings(repo, "gemini"), "gemini") == EXPECTED["gemini"]


def test_user_scope_writes_in_the_home_directory(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    result = install("claude", str(repo.path), "user", PYTHON_M)
    assert result.path == str(home / ".claude/settings.json")
    assert not (repo.path / ".claude").exists()


def test_a_symlinked_settings_file_stays_a_symlink(repo: GitRepo, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "settings.json"
    dotfiles.parent.mkdir()
    dotfiles.write_text('{"model": "opus"}\n')
    (repo.path / ".claude").mkdir()
    (repo.path / ".claude/settings.json").symlink_to(dotfiles)
    install("claude", str(repo.path), "project", PYTHON_M)
    assert (repo.path / ".claude/settings.json").is_symlink()
    assert json.loads(dotfiles.read_text())["model"] == "opus"
    assert guard_handlers(json.loads(dotfiles.read_text()), "claude") == EXPECTED["claude"]


def test_the_files_permissions_are_kept(repo: GitRepo) -> None:
    repo.write(".codex/hooks.json", "{}")
    (repo.path / ".codex/hooks.json").chmod(0o600)
    install("codex", str(repo.path), "project", PYTHON_M)
    assert (repo.path / ".codex/hooks.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("command", "agent", "ours"),
    [
        ("/opt/bin/handrail guard --agent codex || { exit 2; }", "codex", True),
        ("'/My Tools/handrail' guard --agent=cursor", "cursor", True),
        ("handrail guard", "claude", True),
        ("/usr/bin/python3 -m handrail guard --agent gemini", "gemini", True),
        ("handrail guard --agent codex", "claude", False),
        ("handrail guard check -- ls", "claude", False),
        ("handrail guard install --agent claude", "claude", False),
        ("./guard.sh --agent claude", "claude", False),
        ("echo 'unbalanced", "claude", False),
        (None, "claude", False),
    ],
)
def test_recognizing_the_guards_own_hook(command: str | None, agent: str, ours: bool) -> None:
    assert is_guard_command(command, agent) is ours


def test_unknown_agent_and_scope_are_usage_errors(repo: GitRepo) -> None:
    with pytest.raises(HandrailError, match="unknown agent 'aider'"):
        install("aider", str(repo.path), "project")
    with pytest.raises(HandrailError, match="--scope"):
        install("claude", str(repo.path), "global")


# --- the installed command really runs the guard ---------------------------------------------


def installed_command(repo: GitRepo, agent: str, executable: list[str]) -> str:
    install(agent, str(repo.path), "project", executable)
    entries = next(iter(settings(repo, agent)["hooks"].values()))
    return entries[0].get("hooks", entries)[0]["command"]


def run_hook(
    command: str, stdin: str, repo: GitRepo, tmp_path: Path
) -> subprocess.CompletedProcess:
    env = {**os.environ, "HANDRAIL_GUARD_LOG": str(tmp_path / "log")}
    return subprocess.run(
        ["/bin/sh", "-c", command], input=stdin, capture_output=True, text=True,
        cwd=repo.path, env=env, check=False,
    )  # fmt: skip


def test_the_installed_command_answers_as_the_hook(repo: GitRepo, tmp_path: Path) -> None:
    call = {"hook_event_name": "PreToolUse", "cwd": str(repo.path), "tool_name": "Bash",
            "tool_input": {"command": "rm -rf ~"}}  # fmt: skip
    done = run_hook(installed_command(repo, "claude", PYTHON_M), json.dumps(call), repo, tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_an_installed_hook_whose_handrail_is_gone_blocks(repo: GitRepo, tmp_path: Path) -> None:
    command = installed_command(repo, "codex", [str(tmp_path / "uninstalled" / "handrail")])
    done = run_hook(command, "{}", repo, tmp_path)
    # exit 2 with a reason on stderr blocks in Claude Code, Codex, Cursor and Gemini CLI
    assert done.returncode == 2
    assert "handrail guard could not run (exit 127)" in done.stderr
