"""`handrail approve`: an approval of one commit, kept in git notes."""

from __future__ import annotations

import json

import pytest

from gitrepo import GitRepo, act_as
from handrail.policy.approvals import NOTES_REF


@pytest.fixture
def approver(monkeypatch: pytest.MonkeyPatch) -> None:
    act_as(monkeypatch, ("Ana Díaz", "ana@shop.example"))


def test_approve_records_who_approved_which_commit(repo: GitRepo, handrail, approver) -> None:
    first = repo.commit("one", {"a": "1\n"})
    head = repo.commit("two", {"b": "2\n"})
    result = handrail("--repo", repo.path, "approve", "--format", "json")
    assert result.code == 0, result.err
    assert result.json["approved"] == head
    assert handrail("--repo", repo.path, "approve", "--head", first).code == 0
    (record,) = [
        json.loads(line)
        for line in repo.git("notes", f"--ref={NOTES_REF}", "show", head).splitlines()
        if line
    ]
    assert (record["name"], record["email"], record["head"]) == (
        "Ana Díaz",
        "ana@shop.example",
        head,
    )
    assert json.loads(repo.git("notes", f"--ref={NOTES_REF}", "show", first))["head"] == first


def test_approving_twice_appends(repo: GitRepo, handrail, approver) -> None:
    head = repo.commit("one", {"a": "1\n"})
    handrail("--repo", repo.path, "approve")
    handrail("--repo", repo.path, "approve")
    note = repo.git("notes", f"--ref={NOTES_REF}", "show", head)
    assert len([line for line in note.splitlines() if line.strip()]) == 2


def test_approve_needs_a_commit(repo: GitRepo, handrail, approver) -> None:
    result = handrail("--repo", repo.path, "approve")
    assert result.code == 2 and "no commits to approve" in result.err
    repo.commit("one", {"a": "1\n"})
    bad = handrail("--repo", repo.path, "approve", "--head", "nope")
    assert bad.code == 2 and "unknown revision 'nope'" in bad.err
