"""The agent hook protocols: the exact payloads each client sends, the answers each client
reads, and failing closed on bad input and on errors anywhere in the guard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitrepo import GitRepo
from handrail.guard import engine
from handrail.guard.hooks import AGENTS, HookAnswer, handle
from handrail.guard.hooks.codex import patch_paths
from handrail.guard.hooks.core import BadPayload
from handrail.guard.model import GuardContext, Verdict

PAYLOADS = Path(__file__).parent / "fixtures" / "guard" / "payloads"
PLACEHOLDER = "/workspace/project"


def client_reads(agent: str, answer: HookAnswer) -> str:
    """What the agent makes of a hook's answer, as its documented protocol says (see
    tests/fixtures/guard/payloads/README.md): "allow", "ask" or "deny"."""
    if answer.exit_code == 2:
        # Codex ignores an exit 2 without a reason on stderr.
        return "deny" if answer.stderr.strip() or agent != "codex" else "allow"
    if answer.exit_code != 0:
        return "allow"  # every client treats other exit codes as a non-blocking error
    if not answer.stdout.strip():
        return "allow"
    output = json.loads(answer.stdout)
    if agent == "cursor":
        return output["permission"]
    if agent == "gemini":
        return "deny" if output.get("decision") in ("deny", "block") else "allow"
    decision = output["hookSpecificOutput"]["permissionDecision"]
    reason = output["hookSpecificOutput"].get("permissionDecisionReason", "").strip()
    if agent == "codex":  # only a deny with a reason is valid; invalid output fails open
        return "deny" if decision == "deny" and reason else "allow"
    return decision


def reason_of(agent: str, answer: HookAnswer) -> str:
    if answer.exit_code == 2:
        return answer.stderr
    output = json.loads(answer.stdout)
    if agent == "cursor":
        return output["agent_message"]
    if agent == "gemini":
        return output["reason"]
    return output["hookSpecificOutput"]["permissionDecisionReason"]


def payload(name: str, repo: GitRepo) -> str:
    return (PAYLOADS / f"{name}.json").read_text().replace(PLACEHOLDER, str(repo.path))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "HANDRAIL_GUARD_LOG": str(tmp_path / "log"),
    }


def run(agent: str, text: str, repo: GitRepo, env: dict[str, str]) -> HookAnswer:
    return handle(agent, text, str(repo.path), env)


# --- the recorded payloads through the real engine -------------------------------------------

CLEAR_CASES = [
    # (fixture, agent, what the client must read, the rule's family or id)
    ("claude_bash", "claude", "deny", "git.force-push-protected"),
    ("claude_write", "claude", "allow", "default.allow"),
    ("claude_edit", "claude", "deny", "bypass.agent-settings"),
    ("claude_multiedit", "claude", "ask", "bypass.policy-file"),
    ("claude_notebookedit", "claude", "allow", "default.allow"),
    ("claude_mcp_delete", "claude", "ask", "mcp.destructive-tool"),
    ("claude_read", "claude", "allow", "default.allow"),
    ("codex_bash", "codex", "deny", "terraform."),
    ("codex_apply_patch", "codex", "deny", "bypass.safeguard-file"),
    ("codex_mcp", "codex", "allow", "default.allow"),
    ("cursor_shell", "cursor", "deny", "kubernetes."),
    ("gemini_write_file", "gemini", "deny", "bypass.agent-settings"),
    ("gemini_replace", "gemini", "allow", "default.allow"),
]


@pytest.mark.parametrize(("fixture", "agent", "expected", "rule"), CLEAR_CASES)
def test_recorded_payloads_get_the_answer_their_client_understands(
    repo: GitRepo, env: dict[str, str], fixture: str, agent: str, expected: str, rule: str
) -> None:
    answer = run(agent, payload(fixture, repo), repo, env)
    assert client_reads(agent, answer) == expected, answer
    logged = json.loads(Path(env["HANDRAIL_GUARD_LOG"]).read_text().splitlines()[-1])
    assert logged["rule"].startswith(rule)
    assert logged["agent"] == agent
    if expected != "allow":
        assert logged["rule"] in reason_of(agent, answer)


@pytest.mark.parametrize("fixture", ["claude_mcp_sql", "cursor_mcp", "gemini_mcp"])
def test_sql_in_mcp_tool_arguments_is_judged_as_sql(
    repo: GitRepo, env: dict[str, str], fixture: str
) -> None:
    agent = fixture.split("_")[0]
    answer = run(agent, payload(fixture, repo), repo, env)
    assert client_reads(agent, answer) != "allow"
    assert "[database." in reason_of(agent, answer)


def test_the_bash_description_is_the_stated_intent(
    repo: GitRepo, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[GuardContext] = []

    def spy(text: str, context: GuardContext) -> Verdict:
        seen.append(context)
        return Verdict("allow", "default.allow", "fine")

    monkeypatch.setattr(engine, "decide_command", spy)
    run("claude", payload("claude_bash", repo), repo, env)
    run("gemini", payload("gemini_shell", repo), repo, env)
    assert [c.intent for c in seen] == [
        "Push the rebased branch",
        "Remove the build output before rebuilding",
    ]
    # Gemini's dir_path is relative to the session's directory.
    assert seen[1].cwd == str(repo.path / "web")


def test_the_payload_cwd_is_where_the_command_runs(repo: GitRepo, env: dict[str, str]) -> None:
    (repo.path / "sub").mkdir()
    text = json.dumps({"command": "ls", "cwd": str(repo.path / "sub"),
                       "hook_event_name": "beforeShellExecution"})  # fmt: skip
    handle("cursor", text, "/", env)
    logged = json.loads(Path(env["HANDRAIL_GUARD_LOG"]).read_text())
    assert logged["cwd"] == str(repo.path / "sub")
    assert logged["project_root"] == str(repo.path)


# --- each decision in each protocol ----------------------------------------------------------


@pytest.fixture
def decided(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def set_decision(decision: str) -> None:
        verdict = Verdict(decision, "test.rule", "the reason")  # type: ignore[arg-type]
        monkeypatch.setattr(engine, "decide_command", lambda text, context: verdict)

    return set_decision


SHELL_PAYLOADS = {
    "claude": "claude_bash",
    "codex": "codex_bash",
    "cursor": "cursor_shell",
    "gemini": "gemini_shell",
}


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("decision", ["allow", "ask", "deny"])
def test_every_decision_in_every_protocol(
    repo: GitRepo, env: dict[str, str], decided: Callable[[str], None], agent: str, decision: str
) -> None:
    decided(decision)
    answer = run(agent, payload(SHELL_PAYLOADS[agent], repo), repo, env)
    deny_only = agent in ("codex", "gemini")
    assert answer.exit_code == 0
    assert client_reads(agent, answer) == ("deny" if deny_only and decision == "ask" else decision)
    if decision != "allow":
        reason = reason_of(agent, answer)
        assert "the reason" in reason
        assert "[test.rule]" in reason
        # a deny-only protocol tells the human how to approve what only needed asking
        assert ("must approve" in reason) == (deny_only and decision == "ask")


def test_claude_stays_neutral_on_allow_so_its_own_permissions_still_apply(
    repo: GitRepo, env: dict[str, str], decided: Callable[[str], None]
) -> None:
    decided("allow")
    answer = run("claude", payload("claude_bash", repo), repo, env)
    assert answer == HookAnswer("", "", 0)


@pytest.mark.parametrize(
    ("mode", "client_sees"),
    [("default", "ask"), ("acceptEdits", "ask"), ("bypassPermissions", "deny"),
     ("dontAsk", "deny")],
)  # fmt: skip
def test_claude_modes_where_nobody_answers_an_ask_get_a_deny(
    repo: GitRepo, env: dict[str, str], decided: Callable[[str], None], mode: str, client_sees: str
) -> None:
    decided("ask")
    call = json.loads(payload("claude_bash", repo))
    answer = run("claude", json.dumps({**call, "permission_mode": mode}), repo, env)
    assert client_reads("claude", answer) == client_sees
    assert ("must approve" in reason_of("claude", answer)) == (client_sees == "deny")


def test_codex_never_receives_an_ask_it_would_ignore(
    repo: GitRepo, env: dict[str, str], decided: Callable[[str], None]
) -> None:
    decided("ask")
    output = json.loads(run("codex", payload("codex_bash", repo), repo, env).stdout)
    assert output["hookSpecificOutput"]["permissionDecision"] == "deny"


# --- failing closed --------------------------------------------------------------------------

UNREADABLE = ["", "not json", "[1, 2]", '"rm -rf /"', "{}"]
MALFORMED = {
    "claude": [
        '{"tool_name": "Bash"}',
        '{"tool_name": "Bash", "tool_input": {"command": 7}}',
        '{"tool_name": "Bash", "tool_input": "rm -rf /"}',
        '{"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": "x"}}',
        '{"tool_name": "Write", "tool_input": {}}',
        '{"tool_name": "NotebookEdit", "tool_input": {"file_path": "a.ipynb"}}',
    ],
    "codex": [
        '{"tool_name": "Bash", "tool_input": {}}',
        '{"tool_name": "apply_patch", "tool_input": {"command": "no file headers"}}',
        '{"tool_name": "apply_patch", "tool_input": {}}',
    ],
    "cursor": [
        '{"hook_event_name": "beforeShellExecution"}',
        '{"hook_event_name": "beforeMCPExecution", "tool_input": {}}',
        '{"hook_event_name": "beforeReadFile", "file_path": "/etc/passwd"}',
    ],
    "gemini": [
        '{"hook_event_name": "BeforeTool", "tool_name": "run_shell_command", "tool_input": {}}',
        '{"hook_event_name": "AfterTool", "tool_name": "run_shell_command"}',
        '{"tool_name": "write_file", "tool_input": {"file_path": null}}',
    ],
}
BAD_INPUTS = [(agent, text) for agent in AGENTS for text in UNREADABLE + MALFORMED[agent]]


@pytest.mark.parametrize(("agent", "text"), BAD_INPUTS)
def test_input_the_guard_cannot_read_is_never_allowed(
    repo: GitRepo, env: dict[str, str], agent: str, text: str
) -> None:
    answer = run(agent, text, repo, env)
    assert client_reads(agent, answer) != "allow", answer
    assert "guard.bad-input" in reason_of(agent, answer)
    logged = json.loads(Path(env["HANDRAIL_GUARD_LOG"]).read_text())
    assert logged["rule"] == "guard.bad-input"


def _raise(*args: object, **kwargs: object) -> Verdict:
    raise RuntimeError("the engine broke")


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("target", ["decide_command", "context_for"])
def test_an_engine_error_is_never_allowed(
    repo: GitRepo, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, agent: str, target: str
) -> None:
    monkeypatch.setattr(engine, target, _raise)
    answer = run(agent, payload(SHELL_PAYLOADS[agent], repo), repo, env)
    assert client_reads(agent, answer) != "allow"
    assert "RuntimeError: the engine broke" in reason_of(agent, answer)


@pytest.mark.parametrize("agent", AGENTS)
def test_a_verdict_that_is_not_one_is_never_allowed(
    repo: GitRepo, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, agent: str
) -> None:
    monkeypatch.setattr(engine, "decide_command", lambda text, context: Verdict("maybe", "x", "?"))  # type: ignore[arg-type]
    answer = run(agent, payload(SHELL_PAYLOADS[agent], repo), repo, env)
    assert client_reads(agent, answer) != "allow"
    assert "guard.internal-error" in reason_of(agent, answer)


@pytest.mark.parametrize("agent", AGENTS)
def test_when_even_the_answer_fails_the_hook_exits_2(
    repo: GitRepo, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, agent: str
) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module(f"handrail.guard.hooks.{agent}"), "answer", _raise)
    answer = run(agent, payload(SHELL_PAYLOADS[agent], repo), repo, env)
    assert answer.exit_code == 2
    assert "the engine broke" in answer.stderr
    assert client_reads(agent, answer) == "deny"


def test_an_unknown_agent_blocks(repo: GitRepo, env: dict[str, str]) -> None:
    answer = run("aider", payload("claude_bash", repo), repo, env)
    assert (answer.exit_code, answer.stdout) == (2, "")
    assert "aider" in answer.stderr


def test_a_broken_handrail_toml_asks_instead_of_allowing(
    repo: GitRepo, env: dict[str, str]
) -> None:
    repo.write("handrail.toml", "[guard\n")
    answer = run("claude", payload("claude_write", repo), repo, env)
    assert client_reads("claude", answer) == "ask"
    assert "guard.config-error" in reason_of("claude", answer)


# --- MCP tools -------------------------------------------------------------------------------


def mcp(tool: str, arguments: dict[str, Any]) -> str:
    return json.dumps({"hook_event_name": "PreToolUse", "tool_name": tool, "tool_input": arguments})


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("mcp__pg__query", {"sql": "DROP TABLE users"}, "deny"),
        ("mcp__pg__query", {"params": {"statements": ["SELECT 1", "DROP TABLE users"]}}, "deny"),
        ("mcp__pg__query", {"sql": "SELECT * FROM users WHERE id = 1"}, "allow"),
        # a search tool's `query` is words, not SQL, even when it starts like SQL
        ("mcp__docs__search", {"query": "how do I drop a table safely"}, "allow"),
        ("mcp__docs__search", {"query": "update my profile picture"}, "allow"),
        ("mcp__pg__run_query", {"query": "update my profile picture"}, "ask"),
        ("mcp__docs__search", {"query": "DELETE FROM orders"}, "deny"),
        ("mcp__shell__run_command", {"command": "rm -rf ~"}, "deny"),
        ("mcp__shell__run_command", {"command": "ls -la"}, "allow"),
        ("mcp__notes__write_note", {"command": "rm -rf ~"}, "allow"),  # text, not a shell
        ("mcp__github__deleteRepository", {"repo": "x"}, "ask"),
        ("mcp__s3__purge_bucket", {}, "ask"),
        ("mcp__github__list_issues", {"state": "open"}, "allow"),
    ],
)
def test_mcp_tools(
    repo: GitRepo, env: dict[str, str], tool: str, arguments: dict[str, Any], expected: str
) -> None:
    assert client_reads("claude", run("claude", mcp(tool, arguments), repo, env)) == expected


def claude_mcp_call(tool: str, arguments: dict[str, Any], repo: GitRepo) -> str:
    """A PreToolUse call of an MCP tool exactly as Claude Code sends it."""
    return json.dumps({
        "session_id": "9c2f1a7e-4b1d-4f0e-9a51-2a8f3c6d7e10",
        "transcript_path": "/home/dev/.claude/projects/-workspace-project/9c2f1a7e.jsonl",
        "cwd": str(repo.path),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": arguments,
        "tool_use_id": "toolu_01Mcp0abc",
    })  # fmt: skip


@pytest.mark.parametrize(
    ("tool", "arguments", "expected", "production"),
    [
        ("mcp__prod-db__delete_rows", {"table": "sessions"}, "deny", "prod-db"),
        ("mcp__production_postgres__execute", {"sql": "DROP TABLE users"}, "deny",
         "production_postgres"),
        ("mcp__eu-live-db__purge_cache", {}, "deny", "eu-live-db"),
        # not production by name: the destructive tool still asks, and nothing says production
        ("mcp__db__delete_rows", {"table": "sessions"}, "ask", None),
        ("mcp__product-catalog__delete_item", {"id": 3}, "ask", None),
        ("mcp__dev-db__delete_rows", {"table": "sessions"}, "ask", None),  # never lowered
    ],
)  # fmt: skip
def test_an_mcp_server_named_like_production_makes_the_call_production(
    repo: GitRepo,
    env: dict[str, str],
    tool: str,
    arguments: dict[str, Any],
    expected: str,
    production: str | None,
) -> None:
    answer = run("claude", claude_mcp_call(tool, arguments, repo), repo, env)
    assert client_reads("claude", answer) == expected
    reason = reason_of("claude", answer)
    if production is None:
        assert "production:" not in reason
    else:
        assert f"production: MCP server '{production}'" in reason


def test_mcp_verdicts_follow_the_projects_overrides(repo: GitRepo, env: dict[str, str]) -> None:
    repo.write("handrail.toml", '[guard.decisions]\n"database.*" = "allow"\n')
    answer = run("claude", mcp("mcp__pg__query", {"sql": "DROP TABLE users"}), repo, env)
    assert client_reads("claude", answer) == "allow"


# --- apply_patch ----------------------------------------------------------------------------


def test_patch_paths_names_every_file_a_patch_writes() -> None:
    patch = (
        "*** Begin Patch\n*** Add File: a.txt\n+x\n*** Update File: b.py\n*** Move to: c.py\n"
        "@@\n-y\n+z\n*** Delete File: d.md\n*** End Patch\n"
    )
    assert patch_paths(patch) == ("a.txt", "b.py", "c.py", "d.md")
    with pytest.raises(BadPayload):
        patch_paths("just text")


# --- the real process ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "agent", "expected"),
    [("claude_bash", "claude", "deny"), ("codex_bash", "codex", "deny"),
     ("cursor_shell", "cursor", "deny"), ("gemini_replace", "gemini", "allow")],
)  # fmt: skip
def test_the_hook_process_end_to_end(
    repo: GitRepo, env: dict[str, str], fixture: str, agent: str, expected: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "handrail", "guard", "--agent", agent],
        input=payload(fixture, repo),
        capture_output=True,
        text=True,
        cwd=repo.path,
        env=env,
        check=False,
    )
    answer = HookAnswer(done.stdout, done.stderr, done.returncode)
    assert client_reads(agent, answer) == expected, answer
    # The process ends without the interpreter's teardown: the answer and the log are whole.
    assert done.stdout == "" or done.stdout.endswith("}\n")
    logged = Path(env["HANDRAIL_GUARD_LOG"]).read_text(encoding="utf-8").splitlines()
    assert len(logged) == 1 and json.loads(logged[0])["agent"] == agent
