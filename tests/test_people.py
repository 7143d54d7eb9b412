"""Alias merging: mailmap, roster, and the conservative heuristics, each explained."""

from __future__ import annotations

from gitrepo import GitRepo
from handrail.model import Identity
from handrail.people import merge_people


def people_of(handrail, repo: GitRepo) -> dict:
    result = handrail("--repo", repo.path, "people", "--format", "json")
    assert result.code == 0, result.err
    return result.json


def groups(data: dict) -> set[frozenset[str]]:
    return {frozenset(i["email"] for i in p["identities"]) for p in data["people"]}


def test_mailmap_merges_and_is_explained(repo: GitRepo, handrail) -> None:
    repo.commit("a", {"a": "1"}, author=("Jo", "jo@old.example"))
    repo.commit("b", {"b": "1"}, author=("Joanna", "jo@new.example"))
    repo.commit(
        "mailmap",
        {".mailmap": "Joanna <jo@new.example> <jo@old.example>\n"},
        author=("Joanna", "jo@new.example"),
    )
    data = people_of(handrail, repo)
    assert frozenset({"jo@old.example", "jo@new.example"}) in groups(data)
    (merge,) = data["merges"]
    assert merge["rule"] == "mailmap" and "jo@new.example" in merge["detail"]


def test_same_email_and_github_noreply_forms(repo: GitRepo, handrail) -> None:
    repo.commit("a", {"a": "1"}, author=("J. Smith", "JS@Example.org"))
    repo.commit("b", {"b": "1"}, author=("jsmith", "js@example.org"))
    repo.commit("c", {"c": "1"}, author=("octo", "12345+octocat@users.noreply.github.com"))
    repo.commit("d", {"d": "1"}, author=("The Octocat", "octocat@users.noreply.github.com"))
    # A renamed GitHub account keeps its numeric id.
    repo.commit("e", {"e": "1"}, author=("Renamed", "777+old-login@users.noreply.github.com"))
    repo.commit("f", {"f": "1"}, author=("Renamed Too", "777+new-login@users.noreply.github.com"))
    data = people_of(handrail, repo)
    assert frozenset({"JS@Example.org", "js@example.org"}) in groups(data)
    assert frozenset(
        {"777+old-login@users.noreply.github.com", "777+new-login@users.noreply.github.com"}
    ) in groups(data)
    assert frozenset(
        {"12345+octocat@users.noreply.github.com", "octocat@users.noreply.github.com"}
    ) in groups(data)
    assert {m["rule"] for m in data["merges"]} == {"same-email", "github-noreply"}


def test_same_full_name_merges_but_single_words_and_shared_addresses_do_not(
    repo: GitRepo, handrail
) -> None:
    repo.commit("a", {"a": "1"}, author=("Linus  Torvalds", "linus@home.example"))
    repo.commit("b", {"b": "1"}, author=("linus torvalds", "torvalds@work.example"))
    repo.commit("c", {"c": "1"}, author=("root", "root@host-a.example"))
    repo.commit("d", {"d": "1"}, author=("root", "root@host-b.example"))
    repo.commit("e", {"e": "1"}, author=("Alice Example", "noreply@github.com"))
    repo.commit("f", {"f": "1"}, author=("Bob Example", "noreply@github.com"))
    data = people_of(handrail, repo)
    found = groups(data)
    assert frozenset({"linus@home.example", "torvalds@work.example"}) in found
    assert frozenset({"root@host-a.example"}) in found  # one-word names prove nothing
    assert frozenset({"root@host-b.example"}) in found
    # Two people behind GitHub's shared address stay two people.
    assert sum(1 for g in found if g == frozenset({"noreply@github.com"})) == 1
    assert len([p for p in data["people"] if p["email"] == "noreply@github.com"]) == 2
    assert {m["rule"] for m in data["merges"]} == {"same-name"}


def test_roster_emails_join_identities_under_the_roster_id(repo: GitRepo, handrail) -> None:
    repo.commit("a", {"a": "1"}, author=("Sam", "sam@personal.example"))
    repo.commit("b", {"b": "1"}, author=("S", "s.lee@corp.example"))
    repo.commit(
        "config",
        {
            "handrail.toml": (
                '[[person]]\nid = "slee"\nname = "Sam Lee"\n'
                'emails = ["sam@personal.example", "s.lee@corp.example"]\nseniority = "senior"\n'
            )
        },
        author=("Sam", "sam@personal.example"),
    )
    data = people_of(handrail, repo)
    (sam,) = [p for p in data["people"] if p["id"] == "slee"]
    assert sam["name"] == "Sam Lee" and sam["commits"] == 3
    assert [m["rule"] for m in data["merges"]] == ["roster"]


def test_spelling_variants_do_not_change_who_is_who() -> None:
    alike = {Identity("Kim Park", "kim@a.example"): 3, Identity("Kim Park", "kim@b.example"): 2}
    varied = {Identity("Kim Park", "kim@a.example"): 3, Identity("kim  park", "kim@b.example"): 2}
    assert len(merge_people(alike).persons) == len(merge_people(varied).persons) == 1


def test_heuristics_can_be_switched_off() -> None:
    identities = {
        Identity("Kim Park", "kim@a.example"): 1,
        Identity("Kim Park", "kim@b.example"): 1,
    }
    assert len(merge_people(identities, heuristics=False).persons) == 2


def test_roster_github_login_claims_noreply_identities() -> None:
    from handrail.people import RosterEntry

    reviewer = Identity("ana-gh", "4242+ana-gh@users.noreply.github.com")
    committer = Identity("Ana Díaz", "ana@shop.example")
    people = merge_people(
        {committer: 3, reviewer: 0},
        roster=[RosterEntry("ana", ("ana@shop.example",), "Ana Díaz", "Ana-GH")],
    )
    assert people.of(reviewer).id == people.of(committer).id == "ana"
    assert [link.rule for link in people.links] == ["roster"]
