"""From a change's facts to the controls it needs, and whether the approvals meet them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from handrail.catalog import Component
from handrail.config import SENIORITY_RANK, PersonConfig, Seniority
from handrail.policy.approvals import ApprovalVerdict
from handrail.policy.rules import Rule


@dataclass(frozen=True)
class Reach:
    """A component the change touches directly or reaches through imports."""

    component: Component
    direct: bool
    via: str  # why it is reached: the changed file, or the import chain


@dataclass(frozen=True)
class ChangeFacts:
    """What the policy looks at; `change` and `author` are the CEL variables of that name."""

    change: dict[str, Any]
    author: dict[str, Any]
    reached: Sequence[Reach] = field(default_factory=tuple)


@dataclass(frozen=True)
class RequiredControl:
    rule: str
    description: str
    component: str | None  # None for rules about the whole change
    approvals: int
    approvers: str
    min_seniority: Seniority | None
    seniors: int
    block: bool
    eligible: tuple[str, ...]  # person ids whose approval would count towards it
    counted: tuple[str, ...]  # person ids whose approval did count
    satisfied: bool
    why: str


def at_least(seniority: str | None, floor: str) -> bool:
    return seniority is not None and SENIORITY_RANK[seniority] >= SENIORITY_RANK[floor]


def owners_as_people(owners: Sequence[str], roster: Mapping[str, PersonConfig]) -> set[str]:
    """Owner entries (person ids, e-mails, @github users, @org/teams) as roster person ids."""
    found: set[str] = set()
    for owner in owners:
        handle = owner.removeprefix("@").casefold()
        team = handle.rsplit("/", 1)[-1]
        for person in roster.values():
            if (
                owner == person.id
                or owner.casefold() in (e.casefold() for e in person.emails)
                or (person.github or "").casefold() == handle
                or ("/" in handle and (team in person.teams or handle in person.teams))
            ):
                found.add(person.id)
    return found


def _context(facts: ChangeFacts, reach: Reach | None) -> dict[str, Any]:
    context = {"change": facts.change, "author": facts.author}
    component = reach.component if reach else None
    context["component"] = {
        "name": component.name if component else "",
        "tier": component.tier if component and component.tier is not None else -1,
        "direct": reach.direct if reach else False,
        "owners": list(component.owners) if component else [],
    }
    return context


def required_controls(
    rules: Sequence[Rule],
    facts: ChangeFacts,
    verdicts: Sequence[ApprovalVerdict],
    roster: Mapping[str, PersonConfig],
) -> list[RequiredControl]:
    """Every control a rule requires for this change, each checked against the approvals."""
    valid = [v.person for v in verdicts if v.counts]
    controls = []
    for rule in rules:
        if rule.config.scope == "component":
            hits = [(reach, _context(facts, reach)) for reach in facts.reached]
            for reach, context in hits:
                if rule.holds(context):
                    owners = owners_as_people(reach.component.owners, roster)
                    controls.append(_control(rule, reach.component.name, owners, valid, roster))
        elif rule.holds(_context(facts, None)):
            owners = set().union(
                *(owners_as_people(r.component.owners, roster) for r in facts.reached if r.direct)
            )
            controls.append(_control(rule, None, owners, valid, roster))
    return controls


def _control(
    rule: Rule,
    component: str | None,
    owners: set[str],
    valid: Sequence[str],
    roster: Mapping[str, PersonConfig],
) -> RequiredControl:
    spec = rule.config

    def seniority(person: str) -> str | None:
        entry = roster.get(person)
        return entry.seniority if entry else None

    def eligible(person: str) -> bool:
        if spec.approvers == "owners" and person not in owners:
            return False
        return spec.min_seniority is None or at_least(seniority(person), spec.min_seniority)

    counted = tuple(p for p in valid if eligible(p))
    seniors = sum(1 for p in counted if at_least(seniority(p), "senior"))
    candidates = owners if spec.approvers == "owners" else set(roster)
    who = tuple(
        sorted(
            p
            for p in candidates
            if eligible(p) and roster.get(p, None) is not None and roster[p].status == "active"
        )
    )
    if spec.block:
        satisfied, why = False, "blocked: no approval can satisfy this rule"
    elif len(counted) >= spec.approvals and seniors >= spec.seniors:
        satisfied, why = True, f"approved by {', '.join(counted) or 'nobody needed'}"
    else:
        satisfied, why = False, _missing(spec.approvals, spec.seniors, counted, seniors, who)
    return RequiredControl(
        rule.id,
        spec.description,
        component,
        spec.approvals,
        spec.approvers,
        spec.min_seniority,
        spec.seniors,
        spec.block,
        who,
        counted,
        satisfied,
        why,
    )


def _missing(
    needed: int, seniors_needed: int, counted: Sequence[str], seniors: int, who: Sequence[str]
) -> str:
    parts = []
    if len(counted) < needed:
        parts.append(f"needs {needed - len(counted)} more approval(s)")
    if seniors < seniors_needed:
        parts.append(f"needs {seniors_needed - seniors} more from a senior or above")
    candidates = f"; can approve: {', '.join(who)}" if who else "; nobody in the roster qualifies"
    return " and ".join(parts) + candidates
