"""The history engine tells creations and deletions apart from other changes (for DOA)."""

from __future__ import annotations

from gitrepo import GitRepo
from handrail import git
from handrail.history import read_history


def _statuses(repo: GitRepo) -> dict[tuple[str, str], str]:
    history = read_history(git.open_repo(repo.path))
    try:
        return {(c.subject, f.path): f.status for c in history.commits() for f in c.files}
    finally:
        history.close()


def test_created_deleted_renamed_and_modified_files(repo: GitRepo) -> None:
    odd = 'we ird\tna"me.py'
    repo.commit("one", {"a.py": "x = 1\n" * 5, "b.py": "y\n", odd: "z\n"})
    repo.commit("two", {"a.py": "x = 2\n" * 5, "b.py": None, "c.py": "new\n"})
    repo.commit("three", renames={"c.py": "d.py"})
    found = _statuses(repo)
    assert found[("one", "a.py")] == "A"
    assert found[("one", odd)] == "A"  # git C-quotes this path in its summary
    assert found[("two", "a.py")] == "M"
    assert found[("two", "b.py")] == "D"
    assert found[("two", "c.py")] == "A"
    assert found[("three", "d.py")] == "M"  # a rename carries history: not a creation
    # Read again from the cache: the same answer.
    assert _statuses(repo) == found


def test_file_changes_leave_out_merges(repo: GitRepo) -> None:
    repo.commit("base", {"a.py": "1\n"})
    repo.branch("topic")
    repo.commit("topic work", {"b.py": "2\n"}, author=("Bob Builder", "bob@example.com"))
    repo.checkout("main")
    repo.commit("main work", {"a.py": "1\n2\n"})
    repo.merge("topic", author=("Carol Merger", "carol@example.com"))
    history = read_history(git.open_repo(repo.path))
    try:
        rows = list(history.file_changes())
    finally:
        history.close()
    # The merge commit (by Carol) contributes nothing, as in `git log --name-status`.
    assert {r[1].email for r in rows} == {"ada@example.org", "bob@example.com"}
    assert sorted((r[3], r[5]) for r in rows) == [("a.py", "A"), ("a.py", "M"), ("b.py", "A")]
