"""Degree of authorship, truck factor, knowledge loss and hand-over on real repositories."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from conftest import Run
from gitrepo import GitRepo
from handrail.knowledge.authorship import Change, authorship, authorship_of, doa
from handrail.knowledge.truck_factor import truck_factor

ALICE = ("Alice Archer", "alice@example.com")
BOB = ("Bob Builder", "bob@example.com")
CAROL = ("Carol Cook", "carol@example.com")


def _change(n: int, person: str, path: str, status: str = "M", old: str | None = None) -> Change:
    return Change(n, person, 1_700_000_000 + n, path, old, status)


def _knowledge(handrail: Callable[..., Run], repo: GitRepo, *args: str) -> dict:
    run = handrail("--repo", repo.path, "--format", "json", "knowledge", *args)
    assert run.code == 0, run.err
    return run.json


def test_doa_is_the_published_formula() -> None:
    assert doa(True, 2, 3) == 3.293 + 1.098 + 0.164 * 2 - 0.321 * math.log(4)
    assert doa(False, 0, 0) == 3.293


def test_authors_need_more_than_three_quarters_of_the_best_doa() -> None:
    # The creator, then 12 changes by Bob: Bob's DOA is the best; Alice keeps FA but loses.
    history = [_change(0, "alice", "f.py", "A")] + [_change(i, "bob", "f.py") for i in range(1, 13)]
    found = authorship_of("f.py", history)
    assert found.authors == {"bob"}
    assert found.doa["alice"] / found.doa["bob"] < 0.75
    # Alice creates and changes it ten times, Bob once: only Alice is an author.
    history = [_change(0, "alice", "f.py", "A")] + [_change(i, "alice", "f.py") for i in range(10)]
    found = authorship_of("f.py", [*history, _change(11, "bob", "f.py")])
    assert found.authors == {"alice"}
    assert found.main_author == "alice"


def test_greedy_truck_factor_stops_below_half() -> None:
    # Removing "a" leaves exactly half of the files covered: not below half, so go on.
    files = {"1": {"a"}, "2": {"a"}, "3": {"b"}, "4": {"b"}}
    tf = truck_factor(files)
    assert tf.value == 2
    assert [a.person for a in tf.authors] == ["a", "b"]  # a tie: the smaller id first
    # Three of five covered by "a": removing "a" leaves 2/5 < 50%.
    tf = truck_factor({**files, "5": {"a"}})
    assert (tf.value, tf.authors[0].person, tf.authors[0].share) == (1, "a", 0.6)
    # Ties go to the more active developer.
    assert truck_factor(files, {"b": 9}).authors[0].person == "b"
    # People already gone are not counted; files nobody authors still count as files.
    assert truck_factor({**files, "5": set()}, gone={"a"}).value == 0


def test_renames_carry_history_and_old_paths_are_followed() -> None:
    changes = [
        _change(0, "alice", "old.py", "A"),
        _change(1, "alice", "old.py"),
        _change(2, "bob", "new.py", old="old.py"),
        _change(3, "bob", "other.py", "A"),
    ]
    found = authorship(["new.py", "missing.py"], changes)
    assert set(found) == {"new.py"}  # a file with no history at all is left out
    assert found["new.py"].creators == {"alice"}
    assert found["new.py"].deliveries == {"alice": 1, "bob": 1}


def test_repository_knowledge_end_to_end(handrail: Callable[..., Run], repo: GitRepo) -> None:
    big = "".join(f"def f{i}(x):\n    if x:\n        return {i}\n    return 0\n" for i in range(5))
    repo.commit("core", {"src/core.py": big, "src/util.py": "A = 1\n"}, author=ALICE)
    repo.commit("api", {"api/server.py": "B = 1\n", "api/client.py": "C = 1\n"}, author=BOB)
    repo.commit(
        "not code",
        {
            "docs/guide.md": "See `src/core.py`.\n",
            "README.md": "hello\n",
            "vendor/lib.js": "var x = 1;\n",
            "data.json": "{}\n",
        },
        author=CAROL,
    )
    repo.commit("tweak", {"src/core.py": big + "Z = 2\n"}, author=ALICE)
    data = _knowledge(handrail, repo)
    assert data["files"]["source"] == 4  # docs, README, vendored and data files left out
    assert data["truck_factor"] == 2
    assert {a["id"] for a in data["truck_factor_authors"]} == {
        "alice@example.com",
        "bob@example.com",
    }
    directories = {d["name"]: d for d in data["directories"]}
    assert directories["src/"]["truck_factor"] == 1
    assert directories["src/"]["authors"][0]["id"] == "alice@example.com"
    assert data["hotspots"][0]["path"] == "src/core.py"
    assert data["hotspots"][0]["complexity"] == 10
    # What if Alice left?
    loss = _knowledge(handrail, repo, "--departed", "alice@example.com")["knowledge_loss"]
    assert [d["source"] for d in loss["departed"]] == ["given"]
    assert loss["remaining_truck_factor"] == 1
    assert [f["path"] for f in loss["orphaned_files"]] == ["src/core.py", "src/util.py"]
    assert loss["orphaned_files"][0]["hotspot_score"] > loss["orphaned_files"][1]["hotspot_score"]


def test_components_roster_departures_and_inferred_ones(
    handrail: Callable[..., Run], repo: GitRepo
) -> None:
    repo.write(
        "handrail.toml",
        '[[component]]\nname = "payments"\npaths = ["pay/**"]\ntier = 0\n\n'
        '[[component]]\nname = "web"\npaths = ["web/**"]\ntier = 2\n\n'
        '[[person]]\nid = "bob"\nemails = ["bob@example.com"]\nstatus = "departed"\n',
    )
    repo.commit("pay", {"pay/ledger.py": "L = 1\n"}, author=BOB, date="1600000000 +0000")
    repo.commit("web", {"web/view.py": "V = 1\n"}, author=CAROL, date="1600000100 +0000")
    repo.commit("late", {"web/view.py": "V = 2\n"}, author=ALICE, date="1700000000 +0000")
    data = _knowledge(handrail, repo)
    components = {c["name"]: c for c in data["components"]}
    assert components["payments"]["tier"] == 0
    assert components["payments"]["truck_factor"] == 1
    assert components["payments"]["orphaned"] is True
    assert components["web"]["orphaned"] is False
    loss = data["knowledge_loss"]
    assert {(d["id"], d["source"]) for d in loss["departed"]} == {
        ("bob", "roster"),
        ("carol@example.com", "inferred"),  # no commit for over three years before HEAD
    }
    assert loss["orphaned_components"] == ["payments"]
    assert loss["orphaned_files"][0]["path"] == "pay/ledger.py"  # tier 0 first
    # Inference off: only the roster departure remains.
    quiet = _knowledge(handrail, repo, "--inactive-months", "0")["knowledge_loss"]
    assert [d["id"] for d in quiet["departed"]] == ["bob"]


def _history_by(repo: GitRepo, spell: Callable[[int], tuple[str, str]]) -> None:
    for n in range(4):
        repo.commit(f"a{n}", {f"a/m{n}.py": f"A = {n}\n"}, author=ALICE)
    for n in range(6):
        repo.commit(f"b{n}", {f"b/m{n}.py": f"B = {n}\n"}, author=spell(n))
    for n in range(6):
        repo.commit(f"b{n} again", {f"b/m{n}.py": f"B = {n + 1}\n"}, author=spell(n + 1))


def test_aliases_give_the_same_truck_factor_as_one_spelling(
    handrail: Callable[..., Run], make_repo: Callable[..., GitRepo]
) -> None:
    spellings = [BOB, ("bob builder", "BOB@example.com"), ("Bob Builder", "bob@home.example")]
    alike, aliased = make_repo("alike"), make_repo("aliased")
    _history_by(alike, lambda n: BOB)
    _history_by(aliased, lambda n: spellings[n % 3])
    one, many = _knowledge(handrail, alike), _knowledge(handrail, aliased)
    assert one["truck_factor"] == many["truck_factor"] == 1
    assert [a["files"] for a in one["truck_factor_authors"]] == [
        a["files"] for a in many["truck_factor_authors"]
    ]
    assert {m["rule"] for m in many["alias_merges"]} == {"same-email", "same-name"}


def test_re_added_file_has_two_creators_and_merges_count_for_nothing(
    handrail: Callable[..., Run], repo: GitRepo
) -> None:
    repo.commit("add", {"x.py": "X = 1\n", "keep.py": "K = 1\n"}, author=ALICE)
    repo.commit("drop", {"x.py": None}, author=ALICE)
    repo.branch("topic")
    repo.commit("re-add", {"x.py": "X = 2\n"}, author=BOB)
    repo.checkout("main")
    repo.commit("other", {"keep.py": "K = 2\n"}, author=ALICE)
    repo.merge("topic", author=CAROL)
    # (The merge is dated today, years after the rest: no inference of departures here.)
    data = _knowledge(handrail, repo, "--departed", "bob@example.com", "--inactive-months", "0")
    loss = data["knowledge_loss"]
    # Alice created x.py first, Bob re-created it: both are authors, so Bob leaving
    # orphans nothing; Carol's merge gives her nothing.
    assert loss["orphaned_file_count"] == 0
    assert all(
        "carol@example.com" not in {a["id"] for a in d["authors"]} for d in data["directories"]
    )


def test_rev_computes_as_of_that_commit(handrail: Callable[..., Run], repo: GitRepo) -> None:
    first = repo.commit("one", {"a.py": "A = 1\n", "b.py": "B = 1\n"}, author=ALICE)
    repo.commit("two", {"c.py": "C = 1\n", "d.py": "D = 1\n", "e.py": "E\n"}, author=BOB)
    assert _knowledge(handrail, repo)["files"]["source"] == 5
    old = _knowledge(handrail, repo, "--rev", first)
    assert old["files"]["source"] == 2
    assert [a["id"] for a in old["truck_factor_authors"]] == ["alice@example.com"]


def test_handover_document(handrail: Callable[..., Run], repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("core", {"core.py": "def f():\n    return 1\n"}, author=ALICE)
    repo.commit("both", {"core.py": "def f():\n    return 2\n", "glue.py": "G = 1\n"}, author=ALICE)
    repo.commit("doc", {"docs/core.md": "How `core.py` works.\n"}, author=BOB)
    target = tmp_path / "handover.md"
    run = handrail(
        "--repo", repo.path, "knowledge", "--handover", "alice@example.com", "--output", target
    )
    assert run.code == 0, run.err
    text = target.read_text()
    assert text.startswith("# Hand-over: knowledge held by Alice Archer")
    assert "| 1 | `core.py` |" in text and "only author" in text
    assert "`glue.py` (1 commits)" in text  # changed together with core.py
    assert "`docs/core.md` mentions `core.py`" in text
    assert "## Decision" in text


def test_unknown_person_is_a_usage_error(handrail: Callable[..., Run], repo: GitRepo) -> None:
    repo.commit("one", {"a.py": "A = 1\n"})
    run = handrail("--repo", repo.path, "knowledge", "--departed", "nobody@example.com")
    assert run.code == 2
    assert "--departed nobody@example.com" in run.err


def test_bots_and_configured_exclusions_leave_no_trace(
    handrail: Callable[..., Run], repo: GitRepo
) -> None:
    repo.write(
        "handrail.toml",
        '[knowledge]\nbots = ["ci@example.com"]\nexclude = ["third/**"]\n',
    )
    repo.commit("a", {"app.py": "A = 1\n", "third/copied.py": "C = 1\n"}, author=ALICE)
    for n in range(5):
        repo.commit(f"bump {n}", {"app.py": f"A = {n}\n"}, author=("dependabot[bot]", "x@y.z"))
        repo.commit(f"ci {n}", {"app.py": f"A = {n + 9}\n"}, author=("CI", "ci@example.com"))
    data = _knowledge(handrail, repo)
    assert data["files"]["source"] == 1  # third/ excluded by configuration
    hotspot = data["hotspots"][0]
    assert [a["id"] for a in hotspot["authors"]] == ["alice@example.com"]
    assert hotspot["changes"] == 1  # the bots' commits carry no knowledge


def test_markdown_format_prints_the_handover(handrail: Callable[..., Run], repo: GitRepo) -> None:
    repo.commit("a", {"app.py": "A = 1\n"}, author=ALICE)
    run = handrail(
        "--repo", repo.path, "--format", "markdown", "knowledge", "--handover", "alice@example.com"
    )
    assert run.code == 0, run.err
    assert run.out.startswith("# Hand-over: knowledge held by Alice Archer (alice@example.com)")
    assert "| 1 | `app.py` | - (?) | only author |" in run.out


def test_text_report_names_the_people(handrail: Callable[..., Run], repo: GitRepo) -> None:
    repo.commit("a", {"app.py": "A = 1\n"}, author=ALICE)
    run = handrail("--repo", repo.path, "knowledge", "--departed", "alice@example.com")
    assert run.code == 0, run.err
    assert "Truck factor 1" in run.out
    assert "Alice Archer (given)" in run.out
    assert "1 files orphaned" in run.out


def test_a_bad_knowledge_setting_names_the_field(
    handrail: Callable[..., Run], repo: GitRepo
) -> None:
    repo.write("handrail.toml", "[knowledge]\ninactive_months = -1\n")
    repo.commit("a", {"app.py": "A = 1\n"})
    run = handrail("--repo", repo.path, "knowledge")
    assert run.code == 2
    assert "inactive_months" in run.err
