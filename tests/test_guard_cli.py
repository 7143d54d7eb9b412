"""`handrail guard`: check's exit codes and JSON, batches, bad input, and hook mode."""

from __future__ import annotations

import gc
import io
import json
from pathlib import Path

import pytest

from gitrepo import GitRepo


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    repo.commit("start", {"README.md": "hello\n"})
    return repo


def test_check_exit_codes_and_text(project: GitRepo, handrail) -> None:
    denied = handrail("--repo", project.path, "guard", "check", "--", "rm", "-rf", "/")
    assert denied.code == 1
    assert denied.out.startswith("deny: ") and "[filesystem.delete-critical]" in denied.out
    allowed = handrail("--repo", project.path, "guard", "check", "--command", "ls -la")
    assert allowed.code == 0 and allowed.out.startswith("allow: ")
    asked = handrail("guard", "check", "--repo", project.path, "--command", "cat .env")
    assert asked.code == 1 and asked.out.startswith("ask: ") and "[secrets.read]" in asked.out


def test_check_json_fields(project: GitRepo, handrail) -> None:
    result = handrail(
        "guard", "check", "--repo", project.path, "--format", "json", "--", "git", "push", "-f",
        "origin", "main",
    )  # fmt: skip
    assert result.code == 1
    assert result.json == {
        "command": "git push -f origin main",
        "decision": "deny",
        "rule": "git.force-push-protected",
        "reason": result.json["reason"],
    }
    assert "main" in result.json["reason"]


def test_words_after_dashes_are_requoted(project: GitRepo, handrail) -> None:
    quoted = handrail(
        "--format", "json", "--repo", project.path, "guard", "check", "--", "grep", "rm -rf", "x"
    )
    assert quoted.json["command"] == "grep 'rm -rf' x" and quoted.json["decision"] == "allow"
    whole = handrail("--format", "json", "--repo", project.path, "guard", "check", "--", "ls | wc")
    assert whole.json["command"] == "ls | wc"


def test_batch_keeps_order_and_accepts_both_line_forms(
    project: GitRepo, handrail, tmp_path: Path
) -> None:
    batch = tmp_path / "commands.txt"
    lines = ["ls", '{"command": "rm -rf ~", "label": "deny"}', "", "git push --force origin main"]
    batch.write_text("\n".join([*lines, "echo done"]) + "\n", encoding="utf-8")
    result = handrail("--repo", project.path, "guard", "check", "--batch", batch)
    assert result.code == 1
    decisions = [json.loads(line) for line in result.out.splitlines()]
    assert [d["command"] for d in decisions] == [
        "ls", "rm -rf ~", "git push --force origin main", "echo done"
    ]  # fmt: skip
    assert [d["decision"] for d in decisions] == ["allow", "deny", "deny", "allow"]
    assert all(set(d) >= {"decision", "reason", "rule"} for d in decisions)
    calm = tmp_path / "calm.txt"
    calm.write_text("ls\ngit status\n", encoding="utf-8")
    assert handrail("--repo", project.path, "guard", "check", "--batch", calm).code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('ls\n{"command": 3}\n', ":2: a JSON line needs a string field 'command'"),
        ("ls\n{not json\n", ":2: invalid JSON"),
        (b"ls\n\xff\n", "not UTF-8"),
    ],
)
def test_bad_batch_is_exit_2_naming_the_line(
    project: GitRepo, handrail, tmp_path: Path, content: str | bytes, message: str
) -> None:
    batch = tmp_path / "bad.txt"
    if isinstance(content, bytes):
        batch.write_bytes(content)
    else:
        batch.write_text(content, encoding="utf-8")
    result = handrail("--repo", project.path, "guard", "check", "--batch", batch)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"handrail: error: {batch}") and message in result.err
    assert result.err.count("\n") == 1


def test_usage_errors_are_exit_2(project: GitRepo, handrail, tmp_path: Path) -> None:
    assert handrail("--repo", project.path, "guard", "check").code == 2
    both = handrail("--repo", project.path, "guard", "check", "--command", "ls", "--", "pwd")
    assert both.code == 2 and "either" in both.err
    missing = handrail("--repo", project.path, "guard", "check", "--batch", tmp_path / "nope")
    assert missing.code == 2 and "cannot read" in missing.err
    assert handrail("guard", "--agent", "nobody").code == 2


def test_malformed_config_is_exit_2_naming_the_field(project: GitRepo, handrail) -> None:
    (project.path / "handrail.toml").write_text(
        "[guard]\nprotected_branches = 'main'\n", encoding="utf-8"
    )
    result = handrail("--repo", project.path, "guard", "check", "--command", "ls")
    assert result.code == 2
    assert result.err == (
        "handrail: error: handrail.toml: guard.protected_branches: Expected `array`, got `str`"
        " ('main')\n"
    )


def test_config_overrides_apply_to_check(project: GitRepo, handrail) -> None:
    (project.path / "handrail.toml").write_text(
        '[guard.decisions]\n"git.delete-branch" = "allow"\n'
        '[[guard.rule]]\nid = "no-drain"\ncommand = ["kubectl", "drain"]\ndecision = "deny"\n',
        encoding="utf-8",
    )
    assert handrail("--repo", project.path, "guard", "check", "--", "git branch -D x").code == 0
    drained = handrail(
        "--repo", project.path, "--format", "json", "guard", "check", "--", "kubectl drain n1"
    )
    assert drained.json["rule"] == "no-drain" and drained.json["decision"] == "deny"


def test_help_shows_examples(handrail) -> None:
    result = handrail("guard", "--help")
    assert result.code == 0 and "examples:" in result.out and "guard check --batch" in result.out


def test_hook_mode_answers_claude_on_stdout(
    project: GitRepo, handrail, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HANDRAIL_GUARD_LOG", str(tmp_path / "guard.jsonl"))
    call = {
        "session_id": "s",
        "hook_event_name": "PreToolUse",
        "cwd": str(project.path),
        "tool_name": "Bash",
        "tool_input": {"command": "rm -rf ~"},
    }
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(call)))
    result = handrail("--repo", project.path, "guard")
    answer = json.loads(result.out)
    assert answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "home" in answer["hookSpecificOutput"]["permissionDecisionReason"]


def test_the_hook_fast_path_skips_the_parser_but_not_the_answer(
    project: GitRepo, handrail, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from handrail.commands.guard import fast_hook

    assert fast_hook(["check", "--command", "ls"]) is None  # the parser handles the rest
    assert fast_hook(["--agent", "nobody"]) is None
    monkeypatch.setenv("HANDRAIL_GUARD_LOG", str(tmp_path / "guard.jsonl"))
    monkeypatch.chdir(project.path)
    call = {"hook_event_name": "PreToolUse", "tool_name": "Bash", "cwd": str(project.path)}
    call["tool_input"] = {"command": "git push --force origin main"}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(call)))
    result = handrail("guard", "--agent=claude")
    assert json.loads(result.out)["hookSpecificOutput"]["permissionDecision"] == "deny"
    logged = [json.loads(line) for line in (tmp_path / "guard.jsonl").read_text().splitlines()]
    assert logged[-1]["rule"] == "git.force-push-protected"
    # The hook runs without the garbage collector; a caller's process gets it back.
    assert gc.isenabled()
