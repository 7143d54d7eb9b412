"""Approvals of a change, and which of them count.

An approval counts only when a human who is not an author of the change approved exactly
the commit now under review. Each verdict says why, so nobody has to guess why a sign-off
was ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from handrail.config import PersonConfig
from handrail.errors import HandrailError
from handrail.model import Identity
from handrail.people import People

# Where `handrail approve` keeps approvals: git notes travel with the repository on push/fetch
# of this ref, and a note is attached to the very commit that was approved.
NOTES_REF = "refs/notes/handrail-approvals"
COUNTS = "a human who is not an author approved this very commit"


@dataclass(frozen=True)
class Approval:
    approver: Identity
    head: str  # the commit that was approved
    time: int  # seconds since the epoch
    source: str  # "git notes" or "GitHub review"
    signature: str | None = None  # an SSH signature over `signed_payload`, when signed


@dataclass(frozen=True)
class ApprovalVerdict:
    approval: Approval
    person: str  # the person id the approver resolved to
    counts: bool
    why: str


def signed_payload(approval: Approval) -> bytes:
    """What a signature covers: the record's fields, canonically, without the signature."""
    record = {
        "name": approval.approver.name,
        "email": approval.approver.email,
        "head": approval.head,
        "time": approval.time,
    }
    return json.dumps(record, sort_keys=True).encode()


def encode(approval: Approval) -> str:
    """One approval as the JSON line stored in the note."""
    record = json.loads(signed_payload(approval))
    if approval.signature is not None:
        record["signature"] = approval.signature
    return json.dumps(record, sort_keys=True)


def decode_note(text: str, sha: str) -> list[Approval]:
    """The approvals in one note: a JSON object per non-empty line."""
    approvals = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue  # `git notes append` separates entries with blank lines
        try:
            record = json.loads(line)
            approvals.append(
                Approval(
                    Identity(str(record["name"]), str(record["email"])),
                    str(record["head"]),
                    int(record["time"]),
                    "git notes",
                    str(record["signature"]) if "signature" in record else None,
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise HandrailError(
                f"{NOTES_REF} note on {sha[:12]}, line {number}: not an approval record ({exc})"
            ) from exc
    return approvals


def is_bot(identity: Identity) -> bool:
    """GitHub Apps and CI identities approve nothing: only humans carry responsibility."""
    name, email = identity.name.casefold(), identity.email.casefold()
    return name.endswith("[bot]") or "[bot]@" in email or email.startswith("bot@")


def judge(
    approvals: Iterable[Approval],
    head: str,
    authors: set[str],
    people: People,  # must know every approver's identity
    roster: Mapping[str, PersonConfig],
    signature_check: Callable[[Approval], str] | None = None,  # "valid" or why not
) -> list[ApprovalVerdict]:
    """Which approvals count, and why each does or does not. A signed approval whose
    signature does not verify does not count; an unsigned one is judged on the rest."""
    verdicts: list[ApprovalVerdict] = []
    seen: set[str] = set()
    for approval in sorted(approvals, key=lambda a: a.time):
        person = people.of(approval.approver).id
        entry = roster.get(person)
        if approval.head != head:
            counts, why = (
                False,
                f"stale: approved {approval.head[:12]}, the change is now at {head[:12]}",
            )
        elif is_bot(approval.approver):
            counts, why = False, "a bot cannot approve"
        elif person in authors:
            counts, why = False, "an author of the change cannot approve it"
        elif entry is not None and entry.status == "departed":
            counts, why = False, f"{person} has departed"
        elif person in seen:
            counts, why = False, f"{person} already approved; one approval per person"
        else:
            counts, why = _signature_verdict(approval, signature_check)
            if counts:
                seen.add(person)
        verdicts.append(ApprovalVerdict(approval, person, counts, why))
    return verdicts


def _signature_verdict(
    approval: Approval, signature_check: Callable[[Approval], str] | None
) -> tuple[bool, str]:
    if approval.signature is None or signature_check is None:
        return True, COUNTS
    outcome = signature_check(approval)
    if outcome == "valid":
        return True, f"{COUNTS} (signature valid)"
    if outcome.startswith("not verifiable"):  # nothing to check against: judged like unsigned
        return True, f"{COUNTS}; signature {outcome}"
    return False, f"signature {outcome}"
