"""Every entry of the AI signature registry, found in a real commit built from its own example."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from gitrepo import DEFAULT_AUTHOR, GitRepo
from handrail import git
from handrail.history.engine import read_commits
from handrail.model import Commit
from handrail.provenance import NOTES_REF, commit_provenance
from handrail.provenance.registry import KnownSignature, parse_registry, registry

HUMAN = DEFAULT_AUTHOR
NOTE_AUTHOR = {
    "GIT_AUTHOR_NAME": HUMAN[0],
    "GIT_AUTHOR_EMAIL": HUMAN[1],
    "GIT_COMMITTER_NAME": HUMAN[0],
    "GIT_COMMITTER_EMAIL": HUMAN[1],
}


def _read(repo: GitRepo, sha: str) -> Commit:
    [commit] = read_commits(git.open_repo(repo.path), [sha])
    return commit


def _identity(example: str) -> tuple[str, str]:
    name, _, email = example.rpartition(" <")
    return name, email.removesuffix(">")


def _commits_showing(repo: GitRepo, signature: KnownSignature, example: str) -> list[Commit]:
    """Real commits that carry `example` where this kind of signature is looked for."""
    if signature.kind == "identity":
        shas = [
            repo.commit("pair on the pager", trailers=[("Co-authored-by", example)]),
            repo.commit("fix the pager", author=_identity(example), committer=HUMAN),
            repo.commit("merge the pager", author=HUMAN, committer=_identity(example)),
        ]
    elif signature.kind == "trailer":
        key, _, value = example.partition(": ")
        shas = [repo.commit("fix the pager\n\nIt skipped a line.", trailers=[(key, value)])]
    elif signature.kind == "stamp":
        shas = [repo.commit(f"fix the pager\n\nIt skipped a line.\n\n{example}")]
    elif signature.kind == "subject-prefix":
        shas = [repo.commit(example)]
    else:  # a name suffix: on the author, and on the committer alone
        shas = [
            repo.commit("fix the pager", author=_identity(example), committer=HUMAN),
            repo.commit("fix the pager", author=HUMAN, committer=_identity(example)),
        ]
    return [_read(repo, sha) for sha in shas]


@pytest.mark.parametrize(
    "signature", registry().signatures, ids=lambda s: f"{s.kind}:{s.match.strip()}"
)
def test_every_example_of_every_signature_is_found(signature: KnownSignature, repo: GitRepo):
    assert signature.examples, "each signature needs a real example to be tested with"
    for example in signature.examples:
        for commit in _commits_showing(repo, signature, example):
            provenance = commit_provenance(commit)
            assert provenance.verdict == "ai", (example, provenance.evidence)
            [evidence] = provenance.evidence
            assert evidence.strength == signature.strength
            if signature.tool:
                assert evidence.tool == signature.tool
            else:  # the trailer's value names the tool
                assert evidence.tool and evidence.tool in example
            assert provenance.tools == (evidence.tool,)


def _git_ai_note(agent_id: str) -> str:
    metadata = {
        "schema_version": "authorship/3.0.0",
        "base_commit_sha": "7734793b756b3921c88db5375a8c156e9532447b",
        "prompts": {},
        "sessions": {
            "s_0123456789abcd": {"agent_id": {"tool": agent_id, "id": "c1", "model": "m"}}
        },
    }
    return f"src/app.py\n  s_0123456789abcd::t_0123456789abcd 1-3\n---\n{json.dumps(metadata)}\n"


@pytest.mark.parametrize("agent_id", sorted(registry().agent_names))
def test_every_agent_name_of_attribution_notes_is_shown_as_its_tool(agent_id: str, repo: GitRepo):
    sha = repo.commit("add app", {"src/app.py": "a\nb\nc\n"})
    repo.git(
        "notes", f"--ref={NOTES_REF}", "add", "-m", _git_ai_note(agent_id), sha, env=NOTE_AUTHOR
    )
    info = git.open_repo(repo.path)
    provenance = commit_provenance(_read(repo, sha), git.read_notes(info, NOTES_REF, [sha])[sha])
    assert provenance.tools == (registry().agent_names[agent_id],)


def test_identities_and_trailer_keys_are_unique():
    for kind in ("identity", "trailer"):
        matches = [s.match.casefold() for s in registry().of_kind(kind)]
        assert len(matches) == len(set(matches)), kind


def _registry_with(**changes: Any) -> dict[str, Any]:
    """A one-entry registry table; a change to None leaves that field out."""
    entry = {
        "kind": "identity",
        "match": "bot@example.net",
        "tool": "Bot",
        "strength": "strong",
        "examples": ["Bot <bot@example.net>"],
        "source": "here",
        **changes,
    }
    return {
        "signature": [{k: v for k, v in entry.items() if v is not None}],
        "agent_names": {},
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"strength": "certain"}, "signature 1: strength 'certain' is not one of strong"),
        ({"kind": "emoji"}, "signature 1: kind 'emoji' is not one of identity"),
        ({"tool": None}, "signature 1: `tool` is missing"),
        ({"examples": None}, "signature 1: `examples` is missing"),
    ],
)
def test_a_mistake_in_the_registry_names_the_entry_and_the_field(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_registry(_registry_with(**changes))


def test_a_trailer_may_leave_its_tool_to_the_value():
    table = _registry_with(kind="trailer", match="Assisted-by", tool=None)
    assert parse_registry(table).trailer("assisted-BY").tool is None
