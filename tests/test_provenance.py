"""AI provenance of commits and changes, from real repositories.

The git-ai notes in tests/fixtures/provenance/ are copied byte for byte from
git-ai-project/git-ai specs/git_ai_standard_v3.0.0.md sections 1.2.5 and 1.2.6 @ 55a1d72 (via
/work/shared/policy_data); the Agent Trace record is the specification's own example
(cursor/agent-trace README.md section 6.2 @ 2754f07).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from gitrepo import DEFAULT_AUTHOR, GitRepo
from handrail import git
from handrail.history.engine import read_commits
from handrail.model import Commit
from handrail.provenance import NOTES_REF, Provenance, change_provenance, commit_provenance

FIXTURES = Path(__file__).parent / "fixtures" / "provenance"
LEGACY_NOTE = (FIXTURES / "git_ai_authorship_note_legacy_example.txt").read_text()
SESSIONS_NOTE = (FIXTURES / "git_ai_authorship_note_sessions_example.txt").read_text()
HUMAN = DEFAULT_AUTHOR
CLAUDE_CO_AUTHOR = ("Co-Authored-By", "Claude Opus 4.7 (1M context) <noreply@anthropic.com>")
CLAUDE_STAMP = "🤖 Generated with [Claude Code](https://claude.com/claude-code)"
AGENT_TRACE_RECORD = {
    "version": "0.1.0",
    "id": "550e8400-e29b-41d4-a716-446655440000",
    "timestamp": "2026-01-23T14:30:00Z",
    "vcs": {"type": "git", "revision": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"},
    "tool": {"name": "cursor", "version": "2.4.0"},
    "files": [
        {
            "path": "src/utils/parser.ts",
            "conversations": [
                {
                    "url": "https://api.cursor.com/v1/conversations/12345",
                    "contributor": {"type": "ai", "model_id": "anthropic/claude-opus-4-5-20251101"},
                    "ranges": [
                        {"start_line": 42, "end_line": 67, "content_hash": "murmur3:9f2e8a1b"}
                    ],
                    "related": [
                        {"type": "session", "url": "https://api.cursor.com/v1/sessions/67890"}
                    ],
                }
            ],
        },
        {
            "path": "src/utils/helpers.ts",
            "conversations": [
                {
                    "url": "https://api.cursor.com/v1/conversations/12345",
                    "contributor": {"type": "ai", "model_id": "openai/gpt-4o"},
                    "ranges": [{"start_line": 10, "end_line": 25}],
                }
            ],
        },
    ],
    "metadata": {"confidence": 0.95, "dev.cursor": {"workspace_id": "ws-abc123"}},
}


def add_note(repo: GitRepo, sha: str, text: str) -> None:
    """Attach a note the way attribution tools do: `git notes --ref=ai add`."""
    env = {
        "GIT_AUTHOR_NAME": HUMAN[0],
        "GIT_AUTHOR_EMAIL": HUMAN[1],
        "GIT_COMMITTER_NAME": HUMAN[0],
        "GIT_COMMITTER_EMAIL": HUMAN[1],
    }
    repo.git("notes", "--ref=ai", "add", "-F", "-", sha, env=env, input=text.encode())


def read(path: Path, shas: Sequence[str]) -> tuple[list[Commit], dict[str, str]]:
    """The commits, and their notes under refs/notes/ai, as `handrail check` reads them."""
    info = git.open_repo(path)
    return read_commits(info, list(shas)), git.read_notes(info, NOTES_REF, shas)


def provenance(repo: GitRepo, *shas: str) -> Provenance:
    return change_provenance(*read(repo.path, shas))


def signals(result: Provenance) -> list[tuple[str, str | None, str]]:
    return [(e.signal, e.tool, e.strength) for e in result.evidence]


# -- what AI tools write --------------------------------------------------------------------


def test_a_claude_code_commit_is_ai_assisted_on_strong_evidence(repo: GitRepo):
    sha = repo.commit(
        f"Fix the pager's off-by-one\n\nIt skipped the last line.\n\n{CLAUDE_STAMP}",
        {"pager.py": "print()\n"},
        trailers=[CLAUDE_CO_AUTHOR],
    )
    result = provenance(repo, sha)
    assert result.verdict == "ai"
    assert result.ai_assisted is True
    assert result.tools == ("Claude Code",)
    assert result.strength == "strong"
    assert signals(result) == [
        ("trailer", "Claude Code", "strong"),
        ("message stamp", "Claude Code", "medium"),
    ]
    assert all(e.commit == sha for e in result.evidence)
    # The evidence quotes what it found, so a reader can check it.
    assert CLAUDE_CO_AUTHOR[1] in result.evidence[0].detail
    assert any("forged" in caveat for caveat in result.caveats)


def test_the_co_author_is_matched_on_the_email_whatever_the_model_in_the_name(repo: GitRepo):
    sha = repo.commit(
        "tune retries",
        trailers=[("Co-authored-by", "Claude Sonnet 9 (2M context) <NoReply@Anthropic.com>")],
    )
    assert provenance(repo, sha).tools == ("Claude Code",)


def test_agent_bots_and_aider_are_found_as_author_or_committer(repo: GitRepo):
    copilot = repo.commit(
        "Add retry", author=("copilot-swe-agent[bot]", "198982749+Copilot@users.noreply.github.com")
    )
    devin = repo.commit(
        "Add jitter",
        author=(
            "devin-ai-integration[bot]",
            "158243242+devin-ai-integration[bot]@users.noreply.github.com",
        ),
        committer=HUMAN,
    )
    aider = repo.commit("Add backoff", author=HUMAN, committer=("Ada Lovelace (aider)", HUMAN[1]))
    results = [provenance(repo, sha) for sha in (copilot, devin, aider)]
    assert [r.tools for r in results] == [("GitHub Copilot coding agent",), ("Devin",), ("Aider",)]
    assert all(r.verdict == "ai" and r.strength == "strong" for r in results)
    assert "committer name 'Ada Lovelace (aider)'" in results[2].evidence[0].detail
    assert "author and committer" in results[0].evidence[0].detail


def test_codex_placeholder_identity_is_weak_evidence_and_says_why(repo: GitRepo):
    sha = repo.commit("wip", author=("Codex Test", "codex@example.com"))
    result = provenance(repo, sha)
    assert result.verdict == "ai"
    assert result.strength == "weak"
    assert "placeholder" in result.evidence[0].detail


def test_kernel_style_assisted_by_names_the_agent(repo: GitRepo):
    sha = repo.commit(
        "mm: fix a leak", trailers=[("Assisted-by", "Claude:claude-3-opus coccinelle sparse")]
    )
    result = provenance(repo, sha)
    assert result.tools == ("Claude",)
    assert result.evidence[0].detail == "Assisted-by: Claude:claude-3-opus coccinelle sparse"


def test_several_tools_are_listed_once_each_and_sorted(repo: GitRepo):
    first = repo.commit(
        "one", trailers=[("Co-authored-by", "Cursor Agent <cursoragent@cursor.com>")]
    )
    second = repo.commit(
        f"two\n\n{CLAUDE_STAMP}", trailers=[CLAUDE_CO_AUTHOR, ("Amp-Thread-ID", "T-1")]
    )
    third = repo.commit("three", trailers=[("Co-authored-by", "Cursor <cursoragent@cursor.com>")])
    assert provenance(repo, first, second, third).tools == ("Amp", "Claude Code", "Cursor")


# -- hard negatives: no AI evidence where there is none -------------------------------------


@pytest.mark.parametrize(
    ("message", "trailers", "author"),
    [
        pytest.param(
            "Explain the pager\n\nI asked Claude (Anthropic) and ChatGPT; both were wrong. The"
            " bot signs as noreply@anthropic.com and writes Generated with [Claude Code] at the"
            " end, which we strip.",
            [],
            HUMAN,
            id="prose that mentions Claude and its stamp",
        ),
        pytest.param(
            "Pair on the pager",
            [("Co-authored-by", "Grace Hopper <grace@example.org>")],
            HUMAN,
            id="a human co-author",
        ),
        pytest.param(
            "Pair on the pager",
            [("Co-authored-by", "Claude <claude.shannon@example.org>")],
            HUMAN,
            id="a co-author named Claude with a human's e-mail",
        ),
        pytest.param(
            "Fix the pager",
            [],
            ("Claude", "claude.shannon@example.org"),
            id="an author named Claude",
        ),
        pytest.param("Document the aider: prefix", [], HUMAN, id="a subject that mentions aider"),
        pytest.param(
            "Bump deps",
            [
                (
                    "Co-authored-by",
                    "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
                )
            ],
            HUMAN,
            id="a bot that is not an AI",
        ),
    ],
)
def test_no_ai_evidence_where_there_is_none(repo: GitRepo, message, trailers, author):
    sha = repo.commit(message, author=author, trailers=trailers)
    result = provenance(repo, sha)
    assert result.evidence == ()
    assert result.verdict == "unknown"
    assert result.ai_assisted is None
    assert result.strength == "none"
    # Absence of evidence is not evidence of a human, and the output says so.
    assert any("does not show that a human" in caveat for caveat in result.caveats)


# -- the explicit declaration ---------------------------------------------------------------


def test_a_declaration_of_no_outweighs_other_evidence_in_its_commit(repo: GitRepo):
    sha = repo.commit("tidy", trailers=[CLAUDE_CO_AUTHOR, ("AI-Assisted", "no")])
    result = provenance(repo, sha)
    assert result.verdict == "human"
    assert result.ai_assisted is False
    assert result.tools == ()
    assert result.strength == "strong"
    # The outweighed evidence stays visible.
    assert ("trailer", "Claude Code", "strong") in signals(result)
    assert any("`AI-Assisted: no` outweighs 1 signal" in caveat for caveat in result.caveats)


@pytest.mark.parametrize(
    ("trailer", "tools"),
    [
        (("AI-Assisted", "yes"), ()),
        (("AI-Assisted", "yes: Cursor"), ("Cursor",)),
        (("ai-assisted", "YES"), ()),
        (("Ai-assisted", "true"), ()),  # aittributor's trailer is the same key to git
    ],
)
def test_a_declaration_of_yes_makes_the_commit_ai_assisted(repo: GitRepo, trailer, tools):
    result = provenance(repo, repo.commit("tidy", trailers=[trailer]))
    assert (result.verdict, result.tools, result.strength) == ("ai", tools, "strong")
    assert result.evidence[0].signal == "declaration"


def test_an_unreadable_declaration_is_not_counted_and_is_named(repo: GitRepo):
    sha = repo.commit("tidy", trailers=[("AI-Assisted", "mostly")])
    result = provenance(repo, sha)
    assert result.verdict == "unknown"
    assert f"{sha[:12]}: `AI-Assisted: mostly` is not a declaration" in result.caveats[0]


def test_a_declaration_speaks_only_for_its_own_commit(repo: GitRepo):
    declared = repo.commit("tidy", trailers=[("AI-Assisted", "no")])
    assisted = repo.commit("refactor", trailers=[CLAUDE_CO_AUTHOR])
    result = provenance(repo, declared, assisted)
    assert result.verdict == "ai"
    assert result.tools == ("Claude Code",)


# -- squash merges --------------------------------------------------------------------------

SQUASH = """Retry the export (#481)

* Add a retry loop

Co-authored-by: Claude <noreply@anthropic.com>

* Back off between retries

  Co-authored-by: Cursor Agent <cursoragent@cursor.com>

* Fix the test"""


def test_trailers_a_squash_left_in_the_body_are_weaker_evidence(repo: GitRepo):
    sha = repo.commit(SQUASH, author=HUMAN)
    commits, _ = read(repo.path, [sha])
    assert commits[0].trailers == ()  # git no longer reads them as trailers
    result = change_provenance(commits)
    assert result.verdict == "ai"
    assert signals(result) == [
        ("trailer in body", "Claude Code", "medium"),
        ("trailer in body", "Cursor", "medium"),
    ]
    assert result.strength == "medium"
    assert any("squash" in caveat for caveat in result.caveats)


def test_a_trailer_git_did_read_is_not_counted_twice(repo: GitRepo):
    sha = repo.commit(SQUASH, trailers=[("Co-authored-by", "Claude <noreply@anthropic.com>")])
    result = provenance(repo, sha)
    assert signals(result) == [
        ("trailer", "Claude Code", "strong"),
        ("trailer in body", "Cursor", "medium"),
    ]


# -- line-level attribution notes -----------------------------------------------------------


def test_a_git_ai_legacy_note_attributes_lines_to_its_tool(repo: GitRepo):
    sha = repo.commit("add main", {"src/main.rs": "fn main() {}\n"})
    add_note(repo, sha, LEGACY_NOTE)
    result = provenance(repo, sha)
    assert result.verdict == "ai"
    assert result.tools == ("Cursor",)
    assert result.strength == "strong"
    [evidence] = result.evidence
    assert evidence.signal == "attribution note"
    # 1-10,15-20 and 1-50 from one prompt, 25,30-35 from the other: both Cursor.
    assert evidence.detail.startswith("git-ai: 73 lines in src/main.rs, src/lib.rs")
    assert "claude-4.5-opus" in evidence.detail
    assert not any("plain clone" in caveat for caveat in result.caveats)


def test_a_git_ai_sessions_note_routes_each_key_to_its_record(repo: GitRepo):
    sha = repo.commit("add lib", {"src/lib.rs": "pub fn f() {}\n"})
    add_note(repo, sha, SESSIONS_NOTE)
    result = provenance(repo, sha)
    assert result.tools == ("Claude Code", "Cursor")
    details = {e.tool: e.detail for e in result.evidence}
    assert details["Cursor"].startswith("git-ai: 23 lines in src/main.rs ")
    assert details["Claude Code"].startswith("git-ai: 50 lines in src/lib.rs ")


def _human_only_note() -> str:
    """A git-ai note whose only attestation is a known human's: lines 1-9 of one file."""
    metadata = {
        "schema_version": "authorship/3.0.0",
        "git_ai_version": "1.4.5",
        "base_commit_sha": "7734793b756b3921c88db5375a8c156e9532447b",
        "prompts": {},
        "humans": {"h_31dce776f88375": {"author": "Developer <dev@example.com>"}},
        "sessions": {},
    }
    return f"src/main.rs\n  h_31dce776f88375 1-9\n---\n{json.dumps(metadata, indent=2)}\n"


HUMAN_ONLY_NOTE = _human_only_note()


def test_a_note_that_gives_ai_no_line_makes_the_commit_human(repo: GitRepo):
    sha = repo.commit("hand-written", {"src/main.rs": "fn main() {}\n"})
    add_note(repo, sha, HUMAN_ONLY_NOTE)
    result = provenance(repo, sha)
    assert result.verdict == "human"
    assert result.ai_assisted is False
    assert result.strength == "medium"
    assert result.evidence[0].points_to == "human"
    assert "9 to known humans" in result.evidence[0].detail


def test_a_change_is_human_only_when_every_commit_is(repo: GitRepo):
    first = repo.commit("one", {"a.txt": "1\n"})
    second = repo.commit("two", {"b.txt": "2\n"})
    add_note(repo, first, HUMAN_ONLY_NOTE)
    result = provenance(repo, first, second)
    assert result.verdict == "unknown"
    assert "1 of 2 commits carry no evidence either way" in " ".join(result.caveats)
    add_note(repo, second, HUMAN_ONLY_NOTE)
    assert provenance(repo, first, second).verdict == "human"


def test_one_ai_commit_makes_the_change_ai_assisted(repo: GitRepo):
    human = repo.commit("one", {"a.txt": "1\n"})
    add_note(repo, human, HUMAN_ONLY_NOTE)
    assisted = repo.commit("two", {"src/main.rs": "fn main() {}\n"})
    add_note(repo, assisted, LEGACY_NOTE)
    result = provenance(repo, human, assisted)
    assert (result.verdict, result.tools, result.strength) == ("ai", ("Cursor",), "strong")
    assert [e.commit for e in result.evidence] == [human, assisted]


def test_an_agent_trace_record_in_a_note_is_read(repo: GitRepo):
    sha = repo.commit("parser", {"src/utils/parser.ts": "export {}\n"})
    add_note(repo, sha, json.dumps(AGENT_TRACE_RECORD, indent=2))
    result = provenance(repo, sha)
    assert result.tools == ("Cursor",)
    # 42-67 and 10-25, both contributed by AI.
    assert result.evidence[0].detail.startswith("Agent Trace: 42 lines in src/utils/parser.ts")
    assert "openai/gpt-4o" in result.evidence[0].detail


def test_agent_trace_json_lines_with_range_level_contributors(repo: GitRepo):
    human = {**AGENT_TRACE_RECORD, "tool": {"name": "claude-code"}}
    human["files"] = [
        {
            "path": "a.py",
            "conversations": [
                {
                    "contributor": {"type": "human"},
                    "ranges": [
                        {"start_line": 1, "end_line": 4},
                        # One range handed over to an agent: it overrides its conversation.
                        {"start_line": 5, "end_line": 6, "contributor": {"type": "mixed"}},
                    ],
                }
            ],
        }
    ]
    sha = repo.commit("a", {"a.py": "1\n"})
    add_note(repo, sha, json.dumps(AGENT_TRACE_RECORD) + "\n" + json.dumps(human) + "\n")
    result = provenance(repo, sha)
    assert result.tools == ("Claude Code", "Cursor")
    assert "Agent Trace: 2 lines in a.py" in [e.detail for e in result.evidence]


METADATA = '{"schema_version": "authorship/3.0.0", "prompts": {}}'


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        (
            "src/a.py\n  abcd1234abcd1234 3-1\n---\n" + METADATA,
            "line 2: '3-1' is not a range of lines",
        ),
        ("src/a.py\n abcd1234abcd1234 1\n---\n" + METADATA, "line 2: not an attestation"),
        ('src/a.py\n  abcd1234abcd1234 1\n---\n{"prompts" {}}', "line 4: the metadata is not JSON"),
        (
            'a\n---\n{"schema_version": "authorship/4.0.0", "prompts": {}}',
            "metadata field `schema_version`: 'authorship/4.0.0' is not authorship/3.x",
        ),
        ('---\n{"schema_version": "authorship/3.0.0"}', "metadata field `prompts`"),
        (
            '{"version": "0.1.0", "id": "x", "timestamp": "t", "files": [{"path": "a"}]}',
            "field `record.files[0].conversations`: expected a list",
        ),
        ("Reviewed in the standup.", "neither a git-ai authorship log nor an Agent Trace"),
    ],
)
def test_an_unreadable_note_is_named_and_not_counted(repo: GitRepo, note, problem):
    sha = repo.commit("change", trailers=[CLAUDE_CO_AUTHOR])
    add_note(repo, sha, note)
    result = provenance(repo, sha)
    # The rest of the evidence still decides.
    assert (result.verdict, result.tools) == ("ai", ("Claude Code",))
    [caveat] = [c for c in result.caveats if "unreadable" in c]
    assert caveat.startswith(f"{sha[:12]}: the refs/notes/ai note is unreadable: ")
    assert problem in caveat


def test_a_clone_has_no_notes_until_they_are_fetched(repo: GitRepo, tmp_path: Path):
    sha = repo.commit("add main", {"src/main.rs": "fn main() {}\n"})
    add_note(repo, sha, LEGACY_NOTE)
    clone = tmp_path / "clone"
    repo.git("clone", "-q", str(repo.path), str(clone))
    result = change_provenance(*read(clone, [sha]))
    assert result.verdict == "unknown"
    assert any("a plain clone does not fetch them" in caveat for caveat in result.caveats)
    repo.git("-C", str(clone), "fetch", "-q", "origin", f"{NOTES_REF}:{NOTES_REF}")
    assert change_provenance(*read(clone, [sha])).tools == ("Cursor",)


def test_read_notes_returns_only_the_asked_commits_notes(repo: GitRepo):
    first, second, third = repo.linear(3)
    add_note(repo, first, "one")
    add_note(repo, third, "three")
    _, notes = read(repo.path, [first, second])
    assert notes == {first: "one\n"}
    info = git.open_repo(repo.path)
    assert git.read_notes(info, "refs/notes/absent", [first, second, third]) == {}
    assert git.read_notes(info, NOTES_REF, []) == {}


# -- commits and changes --------------------------------------------------------------------


def test_commit_provenance_reads_one_commit_and_its_note(repo: GitRepo):
    sha = repo.commit("add main", {"src/main.rs": "fn main() {}\n"})
    (commit,), _ = read(repo.path, [sha])
    assert commit_provenance(commit).verdict == "unknown"
    assert commit_provenance(commit, LEGACY_NOTE).tools == ("Cursor",)


def test_an_empty_change_is_unknown():
    result = change_provenance([])
    assert (result.verdict, result.tools, result.evidence) == ("unknown", (), ())
    assert "the change has no commits" in result.caveats
