"""The history engine against real repositories: every shape of history it must read."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pytest

from gitrepo import GitRepo
from handrail import git
from handrail.errors import HandrailError
from handrail.history import cache as cache_module
from handrail.history import engine, read_history
from handrail.model import Commit


def mine(repo: GitRepo, rev: str = "HEAD") -> tuple[engine.History, list[Commit]]:
    history = read_history(git.open_repo(repo.path), rev)
    commits = list(history.commits())
    history.close()
    return history, commits


def by_sha(commits: list[Commit]) -> dict[str, Commit]:
    return {c.sha: c for c in commits}


def test_reads_identities_times_messages_and_line_counts(repo: GitRepo) -> None:
    first = repo.commit(
        "first\n\nbody text",
        {"a.py": "1\n2\n3\n"},
        author=("Grace Hopper", "grace@navy.mil"),
        committer=("Bot Committer", "bot@ci.example"),
        date="1600000000 +0530",
    )
    second = repo.commit("second", {"a.py": "1\nchanged\n3\n4\n"})
    _, commits = mine(repo)
    found = by_sha(commits)
    assert [c.sha for c in commits] == [second, first]  # newest first
    c1 = found[first]
    assert c1.author.identity.name == "Grace Hopper"
    assert c1.author.identity.email == "grace@navy.mil"
    assert c1.committer.identity.email == "bot@ci.example"
    assert c1.author.time == 1600000000
    assert c1.author.tz_offset == 330
    assert c1.author.when.utcoffset().total_seconds() == 330 * 60
    assert c1.message == "first\n\nbody text"
    assert c1.parents == ()
    assert [(f.path, f.added, f.deleted) for f in c1.files] == [("a.py", 3, 0)]
    assert [(f.path, f.added, f.deleted) for f in found[second].files] == [("a.py", 2, 1)]
    assert found[second].parents == (first,)


def test_trailers_follow_gits_own_rules(repo: GitRepo) -> None:
    with_trailers = repo.commit(
        "feature\n\nSome text.\n\nCo-authored-by: Claude <noreply@anthropic.com>\n"
        "Signed-off-by: Ada <ada@example.org>\nReviewed-by: Long Name\n  continued on next line",
    )
    # A "Key: value" line inside the body, followed by prose, is not a trailer.
    not_trailer = repo.commit("subject\n\nFixes: this is prose\nand more prose that follows.")
    found = by_sha(mine(repo)[1])
    trailers = found[with_trailers].trailers
    assert ("Co-authored-by", "Claude <noreply@anthropic.com>") in trailers
    assert ("Reviewed-by", "Long Name continued on next line") in trailers  # unfolded
    assert found[with_trailers].trailer_values("co-authored-by") == [
        "Claude <noreply@anthropic.com>"
    ]
    assert found[not_trailer].trailers == ()


def test_renames_binary_files_and_deletions(repo: GitRepo) -> None:
    repo.commit(
        "add",
        {
            "old/name.py": "".join(f"line {i}\n" for i in range(20)),
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00binary",
        },
    )
    renamed = repo.commit("move", renames={"old/name.py": "new/name.py"})
    deleted = repo.commit("drop logo", {"logo.png": None})
    found = by_sha(mine(repo)[1])
    (move,) = found[renamed].files
    assert (move.old_path, move.path, move.added, move.deleted) == (
        "old/name.py",
        "new/name.py",
        0,
        0,
    )
    (drop,) = found[deleted].files
    assert drop.path == "logo.png" and drop.binary and drop.added is None


def test_merges_have_two_parents_and_no_line_stats(repo: GitRepo) -> None:
    base = repo.commit("base", {"a": "1\n"})
    repo.branch("topic")
    side = repo.commit("side", {"b": "2\n"})
    repo.checkout("main")
    main_tip = repo.commit("main work", {"c": "3\n"})
    merge = repo.merge("topic")
    history, commits = mine(repo)
    found = by_sha(commits)
    assert len(history) == 4 and set(found) == {base, side, main_tip, merge}
    assert found[merge].parents == (main_tip, side)
    assert found[merge].is_merge and found[merge].files == ()


def test_non_utf8_messages_and_paths(repo: GitRepo) -> None:
    declared = repo.commit("Caf\u00e9 cr\u00e8me", {"a": "1\n"}, encoding="ISO-8859-1")
    raw_path = b"caf\xe9-\xff.txt"
    undeclared = repo.commit(b"bad \xff\xfe bytes", {raw_path: "x\n"})
    found = by_sha(mine(repo)[1])
    assert found[declared].message == "Caf\u00e9 cr\u00e8me"  # re-encoded by git
    # Undeclared junk bytes: git re-encodes them as Latin-1; either way they are readable text.
    assert found[undeclared].message in {"bad \u00ff\u00fe bytes", "bad \ufffd\ufffd bytes"}
    (change,) = found[undeclared].files
    assert change.path.encode("utf-8", "surrogateescape") == raw_path  # exact bytes survive
    assert (repo.path / change.path).is_file()  # and name the real file


def test_rerun_reads_only_new_commits(repo: GitRepo) -> None:
    repo.linear(5)
    first, _ = mine(repo)
    assert (first.report.new_commits, first.report.cached_commits) == (5, 0)
    assert first.report.cache == repo.path / ".git" / "handrail" / "history.sqlite3"
    again, _ = mine(repo)
    assert (again.report.new_commits, again.report.cached_commits) == (0, 5)
    repo.linear(3, prefix="more")
    after, commits = mine(repo)
    assert (after.report.new_commits, after.report.cached_commits) == (3, 5)
    assert len(commits) == 8


def test_rev_selects_what_is_reachable_and_branches_share_the_cache(repo: GitRepo) -> None:
    shas = repo.linear(4)
    repo.branch("topic", shas[1])
    repo.linear(2, prefix="topic")
    repo.checkout("main")
    _, commits = mine(repo, shas[1])
    assert {c.sha for c in commits} == set(shas[:2])
    main_history, _ = mine(repo, "main")
    assert main_history.report.new_commits == 2  # shas[2:], the first two are cached
    topic, commits = mine(repo, "topic")
    assert topic.report.new_commits == 2 and len(commits) == 4


def test_empty_repository(repo: GitRepo) -> None:
    history, commits = mine(repo)
    assert commits == [] and history.head is None and len(history) == 0


def test_unknown_revision_is_a_user_error(repo: GitRepo) -> None:
    repo.linear(1)
    with pytest.raises(HandrailError, match="unknown revision 'nope'"):
        read_history(git.open_repo(repo.path), "nope")


def test_bare_repository_and_detached_head(make_repo, repo: GitRepo) -> None:
    shas = repo.linear(3)
    bare = make_repo("bare.git", bare=True)
    repo.git("push", "-q", str(bare.path), "main")
    history, commits = mine(bare)
    assert history.repo.is_bare and len(commits) == 3
    assert history.report.cache == bare.path / "handrail" / "history.sqlite3"
    repo.checkout(shas[1])  # detached HEAD
    _, commits = mine(repo)
    assert {c.sha for c in commits} == set(shas[:2])


def test_shallow_clone_is_partial_and_deepening_refreshes_the_cache(make_repo, repo) -> None:
    shas = repo.linear(6)
    clone = make_repo("clone")
    clone.git("fetch", "-q", "--depth", "2", f"file://{repo.path}", "main")
    clone.git("checkout", "-q", "FETCH_HEAD")
    history, commits = mine(clone)
    assert history.partial and len(commits) == 2
    boundary = by_sha(commits)[shas[4]]
    assert boundary.parents == ()  # git hides what the clone cut off
    clone.git("fetch", "-q", "--unshallow", f"file://{repo.path}", "main")
    history, commits = mine(clone)
    assert not history.partial and len(commits) == 6
    assert by_sha(commits)[shas[4]].parents == (shas[3],)
    assert by_sha(commits)[shas[4]].files[0].path == "file4.txt"


def _integrity(db_path) -> tuple[int, int, int]:
    db = sqlite3.connect(db_path)
    commits = db.execute("SELECT count(*) FROM commits").fetchone()[0]
    distinct = db.execute("SELECT count(DISTINCT sha) FROM commits").fetchone()[0]
    changes = db.execute("SELECT count(*) FROM changes").fetchone()[0]
    db.close()
    return commits, distinct, changes


def test_interrupted_run_leaves_whole_commits_and_the_next_run_finishes(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.linear(10)
    monkeypatch.setattr(engine, "_BATCH", 3)
    real_rows = cache_module.HistoryCache._rows
    calls = {"n": 0}

    def rows_then_die(self, commit: Commit, commit_id: int):
        calls["n"] += 1
        if calls["n"] == 5:  # in the middle of the second batch
            raise KeyboardInterrupt
        return real_rows(self, commit, commit_id)

    monkeypatch.setattr(cache_module.HistoryCache, "_rows", rows_then_die)
    with pytest.raises(KeyboardInterrupt):
        read_history(git.open_repo(repo.path))
    db_path = repo.path / ".git" / "handrail" / "history.sqlite3"
    assert _integrity(db_path) == (3, 3, 3)  # the first batch only, each with its file
    monkeypatch.setattr(cache_module.HistoryCache, "_rows", real_rows)
    history, commits = mine(repo)
    assert history.report.new_commits == 7 and len(commits) == 10
    assert _integrity(db_path) == (10, 10, 10)


def test_concurrent_runs_agree_and_store_each_commit_once(repo: GitRepo) -> None:
    repo.linear(30)
    command = [
        sys.executable,
        "-m",
        "handrail",
        "--repo",
        str(repo.path),
        "history",
        "--format",
        "json",
    ]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)
    ]
    outputs = [run.communicate() for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert all(b'"commits": 30' in out for out, _ in outputs)
    assert _integrity(repo.path / ".git" / "handrail" / "history.sqlite3") == (30, 30, 30)


def test_outdated_cache_format_is_rebuilt(repo: GitRepo, monkeypatch) -> None:
    repo.linear(2)
    mine(repo)
    monkeypatch.setattr(cache_module, "FORMAT_VERSION", "next")
    history, commits = mine(repo)
    assert history.report.new_commits == 2 and len(commits) == 2


def test_unwritable_git_dir_still_answers(repo: GitRepo, monkeypatch) -> None:
    repo.linear(2)

    def refuse(*args, **kwargs) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(engine.Path, "mkdir", refuse)
    history, commits = mine(repo)
    assert history.report.cache is None and len(commits) == 2


def test_parallel_workers_read_the_same_history(repo: GitRepo, monkeypatch) -> None:
    repo.linear(12)
    monkeypatch.setattr(engine, "_MIN_COMMITS_PER_WORKER", 3)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 4)
    history, commits = mine(repo)
    assert history.report.workers == 4
    assert sorted(c.subject for c in commits) == sorted(f"add file {n}" for n in range(12))


def test_a_cache_damaged_from_outside_is_rebuilt(repo: GitRepo) -> None:
    repo.linear(3)
    mine(repo)
    location = repo.path / ".git" / "handrail" / "history.sqlite3"
    for leftover in location.parent.glob("history.sqlite3-*"):
        leftover.unlink()
    location.write_bytes(b"this is not a database" * 100)
    history, commits = mine(repo)
    assert history.report.new_commits == 3 and len(commits) == 3
    assert _integrity(location) == (3, 3, 3)


def test_a_git_failure_midway_is_an_error_and_stops_every_worker(repo, monkeypatch) -> None:
    repo.linear(8)
    monkeypatch.setattr(engine, "_MIN_COMMITS_PER_WORKER", 2)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 4)
    real_start = engine.git.start_log

    def start_with_a_bad_commit(info, shas):
        return real_start(info, [*shas[:-1], "0" * 40])

    monkeypatch.setattr(engine.git, "start_log", start_with_a_bad_commit)
    with pytest.raises(HandrailError, match="git log failed"):
        read_history(git.open_repo(repo.path))
    assert not [t for t in threading.enumerate() if t.name == engine.WORKER_THREAD]
