from collections.abc import Sequence

import msgspec
import pytest

from handrail import git
from handrail.docs import search as search_module
from handrail.docs.ranking import BM25, tokenize
from handrail.docs.search import CACHE_NAME, search

ROTATE_V1 = """\
def rotate_database_password():
    return "new"


def purge_sessions():
    return 0


def legacy_rotate():
    return "old"
"""

ROTATE_V2 = """\
def rotate_database_password():
    return "new"


def purge_sessions():
    return 0
"""

RUNBOOK = """\
# Database runbook

## Rotating the password

Call `pkg.rotate.rotate_database_password()` and restart the workers.

## Purging sessions

Run `pkg.rotate.purge_sessions()` to log everybody out after a password leak.

## Old procedure

Use `pkg.rotate.legacy_rotate()` to rotate the password by hand.
"""


@pytest.fixture
def runbook_repo(repo):
    """A runbook whose "Old procedure" names a function removed after the doc was written."""
    repo.commit(
        "code and runbook",
        {"pkg/__init__.py": "", "pkg/rotate.py": ROTATE_V1, "docs/runbook.md": RUNBOOK},
    )
    repo.commit("drop the legacy rotation", {"pkg/rotate.py": ROTATE_V2})
    return repo


def test_tokenize_splits_identifiers_and_keeps_them_whole():
    terms = tokenize("Call check_docs on HTTPServer via pkg.mod.func --dry-run")
    for term in ("check_docs", "check", "docs", "httpserver", "http", "server"):
        assert term in terms
    for term in ("pkg.mod.func", "pkg", "mod", "func", "dry-run", "dry", "run", "call"):
        assert term in terms
    assert tokenize("plain words") == ["plain", "words"]


def test_bm25_prefers_rare_terms_and_skips_passages_without_any():
    passages = [
        tokenize("restart the workers and the web servers"),
        tokenize("rotate the password then restart"),
        tokenize("nothing relevant here at all"),
        tokenize("restart restart restart"),
    ]
    ranked = BM25(passages).rank(tokenize("rotate restart"))
    assert ranked[0][0] == 1  # the only one with the rare term
    assert 2 not in {index for index, _ in ranked}
    assert [score for _, score in ranked] == sorted((score for _, score in ranked), reverse=True)


def test_a_stale_passage_is_withheld_with_its_reason(runbook_repo):
    results = search(git.open_repo(runbook_repo.path), "legacy rotate password by hand", limit=2)
    assert [hit.heading[-1] for hit in results] == ["Rotating the password", "Purging sessions"]
    assert all(hit.fresh and hit.doc == "docs/runbook.md" for hit in results)
    assert results[0].score >= results[1].score
    assert results[0].start_line == 1 and results[0].end_line == 5
    assert results[0].text.startswith("# Database runbook\n\n## Rotating the password")
    [withheld] = results.withheld
    assert withheld.heading == ("Database runbook", "Old procedure")
    assert not withheld.fresh
    [stale] = withheld.stale
    assert stale.verdict == "removed"
    assert "legacy_rotate" in stale.reference
    data = results.as_dict("legacy rotate password by hand")
    assert data["withheld"] == 1
    assert data["withheld_passages"][0]["reasons"] == [stale.reason]
    assert data["withheld_passages"][0]["lines"] == [11, 13]


def test_include_stale_serves_the_stale_passage_flagged(runbook_repo):
    results = search(
        git.open_repo(runbook_repo.path), "legacy rotate password by hand", 2, include_stale=True
    )
    assert results.withheld == []
    first = results[0]
    assert first.heading[-1] == "Old procedure"
    assert not first.fresh
    entry = first.as_dict()
    assert entry["fresh"] is False
    assert entry["stale_references"][0]["verdict"] == "removed"
    assert entry["heading"] == "Database runbook > Old procedure"


def test_a_changed_definition_is_a_caution_unless_the_settings_say_fail(repo):
    doc = "# Tax\n\n`calc.vat()` applies the rate.\n"
    repo.commit("tax", {"calc.py": "def vat(x):\n    return x * 0.2\n", "docs/tax.md": doc})
    repo.commit("new rate", {"calc.py": "def vat(x, rate=0.25):\n    return x * rate\n"})
    [hit] = search(git.open_repo(repo.path), "vat rate")
    assert hit.fresh
    assert [s.verdict for s in hit.stale] == ["changed"]
    repo.commit("strict", {"handrail.toml": "[docs]\nfail_on_changed = true\n"})
    results = search(git.open_repo(repo.path), "vat rate")
    assert list(results) == []
    assert [w.stale[0].verdict for w in results.withheld] == ["changed"]


def test_docs_roots_and_ignores_come_from_the_settings(repo):
    repo.commit(
        "docs",
        {
            "docs/public.md": "# Deploys\n\nDeploy with the pipeline.\n",
            "docs/internal/old.md": "# Deploys\n\nDeploy by hand.\n",
            "notes.txt": "Deploy by hand, never.\n",
            "handrail.toml": '[docs]\nignore = ["docs/internal/"]\n',
        },
    )
    results = search(git.open_repo(repo.path), "deploy")
    assert [hit.doc for hit in results] == ["docs/public.md"]


def test_passages_are_cached_per_blob_and_old_versions_forgotten(runbook_repo, monkeypatch):
    info = git.open_repo(runbook_repo.path)
    search(info, "password")
    cache_file = info.git_dir / "handrail" / "docs" / CACHE_NAME
    first_blob = runbook_repo.git("rev-parse", "HEAD:docs/runbook.md")
    assert set(msgspec.msgpack.decode(cache_file.read_bytes())) == {f"md:{first_blob}"}

    def no_parsing(doc: str, text: str) -> list:
        raise AssertionError(f"{doc} parsed again although its blob is cached")

    monkeypatch.setattr(search_module, "split", no_parsing)
    assert search(info, "password")  # answered from the cache alone
    monkeypatch.undo()

    runbook_repo.commit(
        "edit", {"docs/runbook.md": RUNBOOK + "\n## Contacts\n\nAsk the DBA first.\n"}
    )
    assert any("DBA" in hit.text for hit in search(info, "ask the DBA"))
    second_blob = runbook_repo.git("rev-parse", "HEAD:docs/runbook.md")
    assert set(msgspec.msgpack.decode(cache_file.read_bytes())) == {f"md:{second_blob}"}


def test_a_damaged_cache_is_rebuilt(runbook_repo):
    info = git.open_repo(runbook_repo.path)
    cache_file = info.git_dir / "handrail" / "docs" / CACHE_NAME
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_file.write_bytes(b"\x00not msgpack at all")
    assert search(info, "purging sessions")[0].heading[-1] == "Purging sessions"
    assert msgspec.msgpack.decode(cache_file.read_bytes())  # rewritten whole


def test_the_ranker_is_pluggable(runbook_repo):
    class Backwards:
        """Ranks every passage, the last one of the docs first."""

        def __init__(self, passages: Sequence[Sequence[str]]) -> None:
            self.count = len(passages)

        def rank(self, query: Sequence[str]) -> list[tuple[int, float]]:
            return [(index, float(index)) for index in reversed(range(self.count))]

    results = search(
        git.open_repo(runbook_repo.path), "anything", limit=1, include_stale=True, ranker=Backwards
    )
    assert results[0].heading[-1] == "Old procedure"


def test_nothing_to_search(make_repo, runbook_repo):
    empty = make_repo()
    assert list(search(git.open_repo(empty.path), "password")) == []
    info = git.open_repo(runbook_repo.path)
    assert list(search(info, "   ")) == []
    assert list(search(info, "zebra")) == []
    assert list(search(info, "password", limit=0)) == []


def test_the_command_line_search(runbook_repo, handrail):
    run = handrail(
        "--repo", runbook_repo.path, "docs", "search", "legacy", "rotate", "--format", "json"
    )
    assert run.code == 0, run.err
    data = run.json
    assert data["withheld"] == 1
    assert all(hit["fresh"] for hit in data["results"])
    text = handrail("--repo", runbook_repo.path, "docs", "search", "legacy", "rotate")
    assert "withheld" in text.out


def test_a_bare_repository_is_searched_from_its_commits(runbook_repo, tmp_path):
    bare = tmp_path / "bare.git"
    runbook_repo.git("clone", "-q", "--bare", str(runbook_repo.path), str(bare))
    results = search(git.open_repo(bare), "legacy rotate password by hand", limit=2)
    assert [hit.heading[-1] for hit in results] == ["Rotating the password", "Purging sessions"]
    assert len(results.withheld) == 1


def test_a_memo_checks_each_doc_once_per_commit(runbook_repo, monkeypatch):
    from handrail.docs import check

    calls: list[list[str]] = []
    real = check.check_docs

    def counting(repo, paths, *args):
        calls.append(list(paths))
        return real(repo, paths, *args)

    monkeypatch.setattr(check, "check_docs", counting)
    info, memo = git.open_repo(runbook_repo.path), {}
    first = search(info, "legacy rotate password by hand", 2, memo=memo)
    again = search(info, "purging sessions", 2, memo=memo)
    assert calls == [["docs/runbook.md"]]
    assert len(first.withheld) == 1 and again[0].heading[-1] == "Purging sessions"
    runbook_repo.commit("more", {"docs/other.md": "# Other\n\nPurging sessions again.\n"})
    search(info, "purging sessions", 2, memo=memo)
    assert len(calls) == 2  # a new commit: checked again
