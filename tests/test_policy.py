"""Policy rules (CEL), required controls and which approvals count."""

from __future__ import annotations

import pytest

from handrail.catalog import Component
from handrail.config import parse_config
from handrail.errors import HandrailError
from handrail.model import Identity
from handrail.people import RosterEntry, merge_people
from handrail.policy.approvals import Approval, decode_note, encode, judge
from handrail.policy.controls import ChangeFacts, Reach, owners_as_people, required_controls
from handrail.policy.rules import built_in_rules, load_rules

ROSTER_TOML = """
[[person]]
id = "ana"
emails = ["ana@shop.example"]
seniority = "senior"
teams = ["checkout"]
github = "ana-gh"

[[person]]
id = "bo"
emails = ["bo@shop.example"]
seniority = "mid"

[[person]]
id = "cy"
emails = ["cy@shop.example"]
seniority = "principal"
status = "departed"

[[person]]
id = "dee"
emails = ["dee@shop.example"]
seniority = "senior"
"""
HEAD = "a" * 40
CHECKOUT = Component("checkout", ("/checkout/",), 0, ("@shop/checkout",), "handrail.toml")
DOCS = Component("docs", ("/docs/",), 3, ("bo",), "handrail.toml")


def roster() -> dict:
    return {p.id: p for p in parse_config(ROSTER_TOML).person}


def facts(
    ai: bool | None = True,
    seniority: str = "mid",
    destructive: bool = False,
    safeguards: bool = False,
    reached: tuple[Reach, ...] = (),
) -> ChangeFacts:
    change = {
        "ai_assisted": ai,
        "tools": [],
        "destructive": destructive,
        "destructive_infrastructure": destructive,
        "destructive_migration": False,
        "safeguards": safeguards,
        "files": 3,
    }
    return ChangeFacts(change, {"id": "bo", "seniority": seniority, "known": True}, reached)


def approvals(*emails: str, head: str = HEAD) -> list:
    return [
        Approval(Identity(e.split("@")[0], e), head, 1700000000 + n, "git notes")
        for n, e in enumerate(emails)
    ]


def verdicts(found: list, authors: set[str] = frozenset({"bo"})) -> list:
    identities = {a.approver: 0 for a in found}
    entries = [RosterEntry(p.id, tuple(p.emails)) for p in roster().values()]
    return judge(found, HEAD, set(authors), merge_people(identities, roster=entries), roster())


def controls(change: ChangeFacts, found: list, toml: str = "") -> dict:
    rules = load_rules(parse_config(toml).policy)
    return {
        (c.rule, c.component): c
        for c in required_controls(rules, change, verdicts(found), roster())
    }


def test_every_built_in_rule_compiles_and_has_a_description() -> None:
    rules = built_in_rules()
    assert {r.id for r in rules} == {
        "ai-critical-needs-senior-owner",
        "tier0-needs-owner",
        "destructive-needs-two-people",
        "safeguards-need-senior",
    }
    assert all(r.description for r in rules)
    assert len(load_rules(parse_config("").policy)) == 4


def test_routine_changes_need_nothing() -> None:
    docs = (Reach(DOCS, True, "docs/index.md"),)
    assert controls(facts(ai=True, reached=docs), []) == {}
    assert controls(facts(ai=None, reached=docs), []) == {}


def test_ai_change_to_tier0_needs_a_senior_owner() -> None:
    reached = (Reach(CHECKOUT, False, "app.py imports checkout/api.py"),)
    found = controls(facts(ai=True, reached=reached), [])
    control = found[("ai-critical-needs-senior-owner", "checkout")]
    assert not control.satisfied and control.eligible == ("ana",)
    assert "needs 1 more approval" in control.why
    # A mid-level approver who is not an owner does not satisfy it; the senior owner does.
    assert not controls(facts(reached=reached), approvals("dee@shop.example"))[
        ("ai-critical-needs-senior-owner", "checkout")
    ].satisfied
    assert controls(facts(reached=reached), approvals("ana@shop.example"))[
        ("ai-critical-needs-senior-owner", "checkout")
    ].satisfied
    # A senior author's AI-assisted change, or an unknown-provenance one, does not trigger it.
    assert ("ai-critical-needs-senior-owner", "checkout") not in controls(
        facts(seniority="senior", reached=reached), []
    )
    assert ("ai-critical-needs-senior-owner", "checkout") not in controls(
        facts(ai=None, reached=reached), []
    )


def test_direct_tier0_change_needs_an_owner() -> None:
    found = controls(facts(ai=False, reached=(Reach(CHECKOUT, True, "checkout/api.py"),)), [])
    assert set(found) == {("tier0-needs-owner", "checkout")}


def test_destructive_change_needs_two_distinct_humans_one_senior() -> None:
    change = facts(ai=False, destructive=True)
    assert not controls(change, approvals("dee@shop.example"))[
        ("destructive-needs-two-people", None)
    ].satisfied
    same_twice = approvals("dee@shop.example", "dee@shop.example")
    assert not controls(change, same_twice)[("destructive-needs-two-people", None)].satisfied
    two_juniors = approvals("x@else.example", "y@else.example")
    control = controls(change, two_juniors)[("destructive-needs-two-people", None)]
    assert not control.satisfied and "more from a senior" in control.why
    assert controls(change, approvals("x@else.example", "dee@shop.example"))[
        ("destructive-needs-two-people", None)
    ].satisfied


def test_approvals_that_do_not_count_say_why() -> None:
    found = approvals("bo@shop.example", "cy@shop.example", "renovate[bot]@bots.example")
    found.append(Approval(Identity("ana", "ana@shop.example"), "b" * 40, 1, "git notes"))
    reasons = {v.person: (v.counts, v.why) for v in verdicts(found)}
    assert reasons["bo"] == (False, "an author of the change cannot approve it")
    assert reasons["cy"] == (False, "cy has departed")
    assert reasons["renovate[bot]@bots.example"][1] == "a bot cannot approve"
    assert reasons["ana"][0] is False and reasons["ana"][1].startswith("stale: approved bbbbbbbb")


def test_policy_can_disable_and_replace_rules() -> None:
    toml = """
[policy]
disable = ["safeguards-need-senior"]
[[policy.rule]]
id = "destructive-needs-two-people"
when = "change.destructive"
approvals = 3
[[policy.rule]]
id = "freeze"
when = "change.files > 2"
block = true
"""
    found = controls(facts(ai=False, destructive=True, safeguards=True), [], toml)
    assert set(found) == {("destructive-needs-two-people", None), ("freeze", None)}
    assert found[("destructive-needs-two-people", None)].approvals == 3
    assert found[("freeze", None)].block and not found[("freeze", None)].satisfied


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("chang.files > 1", r"policy.rule\[1\] \('x'\).when: undeclared reference to 'chang'"),
        ("change.files >", r"invalid CEL expression"),
        ("change.files", r"must be true or false"),
        ("change.nope", r"no such member"),
    ],
)
def test_bad_conditions_name_the_rule(when: str, message: str) -> None:
    toml = f'[[policy.rule]]\nid = "x"\nwhen = "{when}"\n'
    with pytest.raises(HandrailError, match=message):
        load_rules(parse_config(toml).policy)


def test_disabling_an_unknown_rule_is_an_error() -> None:
    with pytest.raises(HandrailError, match=r"policy\.disable: no rule has the id 'nope'"):
        load_rules(parse_config('[policy]\ndisable = ["nope"]').policy)


def test_owner_entries_resolve_to_people() -> None:
    people = roster()
    assert owners_as_people(["@shop/checkout"], people) == {"ana"}
    assert owners_as_people(["@ana-gh", "bo@shop.example", "dee"], people) == {"ana", "bo", "dee"}
    assert owners_as_people(["@nobody"], people) == set()


def test_approval_notes_round_trip_and_bad_lines_are_named() -> None:
    (approval,) = approvals("ana@shop.example")
    note = encode(approval) + "\n\n" + encode(approval)
    assert decode_note(note, HEAD) == [approval, approval]
    with pytest.raises(HandrailError, match=r"note on aaaaaaaaaaaa, line 1: not an approval"):
        decode_note("{not json", HEAD)
