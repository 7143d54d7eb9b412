"""People behind identities: `.mailmap` first, then the roster, then cautious heuristics.

Every merge is recorded as a link with the rule that made it, so it can be shown and
challenged. The heuristics are deliberately conservative: a wrong merge hides a person
(and inflates someone else's knowledge); a missed merge is merely visible.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from handrail.model import Identity

# Addresses many unrelated people share: never evidence of being one person.
_SHARED_EMAILS = frozenset(
    {
        "noreply@github.com",
        "none@none",
        "nobody@nowhere",
        "you@example.com",
        "user@example.com",
        "email@example.com",
        "root@localhost",
        "unknown@unknown",
    }
)
_UNROUTABLE_DOMAINS = ("localhost", "localdomain", "(none)")
# Names git or tools write when nobody configured one.
_GENERIC_NAMES = frozenset(
    {
        "your name",
        "unknown",
        "root",
        "admin",
        "administrator",
        "user",
        "ubuntu",
        "git",
        "github",
        "github action",
        "github actions",
        "gitlab ci",
        "travis ci",
        "jenkins",
        "build bot",
        "the build",
    }
)
# A regex on an e-mail address is a lookup, not a safeguard: GitHub documents both forms.
_GITHUB_NOREPLY = re.compile(r"^(?:(\d+)\+)?([^@+]+)@users\.noreply\.github\.com$", re.IGNORECASE)

RULES = {
    "mailmap": "the repository's .mailmap maps both to the same identity",
    "roster": "handrail.toml lists both (e-mails or GitHub login) under the same person",
    "same-email": "same e-mail address (case-insensitive)",
    "github-noreply": "same GitHub account in a users.noreply.github.com address",
    "same-name": "same full name (at least two words, not a placeholder)",
}


@dataclass(frozen=True)
class AliasLink:
    """Why two identities are taken to be one person."""

    first: Identity
    second: Identity
    rule: str
    detail: str


@dataclass
class Person:
    """One human (or bot) with every identity they committed under."""

    id: str
    name: str
    email: str
    identities: list[Identity] = field(default_factory=list)


@dataclass(frozen=True)
class RosterEntry:
    """The part of a `[[person]]` entry that identifies them."""

    id: str
    emails: tuple[str, ...]
    name: str | None = None
    github: str | None = None  # login: matches GitHub noreply addresses (and review authors)


@dataclass
class People:
    """The merge result: who each identity is, and why."""

    persons: list[Person]
    links: list[AliasLink]
    _by_identity: dict[Identity, Person]

    def of(self, identity: Identity) -> Person:
        return self._by_identity[identity]


def is_shared_email(email: str) -> bool:
    address = email.strip().casefold()
    if "@" not in address or address in _SHARED_EMAILS:
        return True
    return address.rsplit("@", 1)[1].endswith(_UNROUTABLE_DOMAINS)


def normalized_name(name: str) -> str | None:
    """A comparable full name, or None when the name cannot identify anyone on its own."""
    folded = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    if " " not in folded or folded in _GENERIC_NAMES:
        return None
    return folded


def github_account(email: str) -> tuple[str | None, str | None]:
    """(numeric account id, login) of a GitHub noreply address; the id survives renames."""
    match = _GITHUB_NOREPLY.match(email.strip())
    if not match:
        return None, None
    return match.group(1), match.group(2).casefold()


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, node: object) -> object:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a: object, b: object) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[rb] = ra
        return True


def merge_people(
    commit_counts: Mapping[Identity, int],
    mailmap: Callable[[Sequence[Identity]], Sequence[Identity]] | None = None,
    roster: Iterable[RosterEntry] = (),
    heuristics: bool = True,
) -> People:
    """Group identities into people. `commit_counts` decides each person's primary identity."""
    identities = sorted(commit_counts, key=lambda i: (-commit_counts[i], i.name, i.email))
    sets = _UnionFind()
    links: list[AliasLink] = []
    for identity in identities:
        sets.find(identity)

    def link_by_key(keyed: Iterable[tuple[Identity, object]], rule: str, detail: str) -> None:
        first_with_key: dict[object, Identity] = {}
        for identity, key in keyed:
            if key is None:
                continue
            first = first_with_key.setdefault(key, identity)
            if first != identity and sets.union(first, identity):
                links.append(AliasLink(first, identity, rule, detail.format(key=key)))

    if mailmap is not None:
        canonical = mailmap(identities)
        link_by_key(zip(identities, canonical, strict=True), "mailmap", "mapped to {key}")
    roster_list = list(roster)
    by_email = {e.strip().casefold(): entry for entry in roster_list for e in entry.emails}
    by_login = {entry.github.casefold(): entry for entry in roster_list if entry.github}

    def listed(identity: Identity) -> RosterEntry | None:
        entry = by_email.get(identity.email.strip().casefold())
        login = github_account(identity.email)[1]
        return entry or (by_login.get(login) if login else None)

    link_by_key(
        ((i, listed(i)) for i in identities), "roster", "listed under one [[person]]: {key.id}"
    )
    if heuristics:
        link_by_key(
            (
                (i, None if is_shared_email(i.email) else i.email.strip().casefold())
                for i in identities
            ),
            "same-email",
            "both use {key}",
        )
        accounts = [(i, github_account(i.email)) for i in identities]
        link_by_key(
            ((i, account) for i, (account, _) in accounts), "github-noreply", "GitHub id {key}"
        )
        link_by_key(
            ((i, login) for i, (_, login) in accounts), "github-noreply", "GitHub login {key}"
        )
        link_by_key(
            ((i, normalized_name(i.name)) for i in identities), "same-name", "both named {key!r}"
        )
    return _people(identities, commit_counts, sets, links, listed, roster_list)


def _people(
    identities: list[Identity],
    commit_counts: Mapping[Identity, int],
    sets: _UnionFind,
    links: list[AliasLink],
    listed: Callable[[Identity], RosterEntry | None],
    roster: list[RosterEntry],
) -> People:
    groups: dict[object, list[Identity]] = {}
    for identity in identities:  # already most-committing first
        groups.setdefault(sets.find(identity), []).append(identity)
    persons: list[Person] = []
    by_identity: dict[Identity, Person] = {}
    named: set[str] = set()
    for members in groups.values():
        entry = next((e for e in map(listed, members) if e is not None), None)
        names = Counter[str]()
        for member in members:
            names[member.name] += commit_counts[member]
        primary = members[0]
        person_id = entry.id if entry else primary.email or primary.name
        if person_id in named:  # two people behind one shared address stay two people
            person_id = str(primary)
        person = Person(
            id=person_id,
            name=(entry.name if entry and entry.name else names.most_common(1)[0][0]),
            email=primary.email,
            identities=members,
        )
        named.add(person.id)
        persons.append(person)
        for member in members:
            by_identity[member] = person
    for entry in roster:
        if entry.id not in named:  # listed people without commits still exist
            persons.append(Person(entry.id, entry.name or entry.id, next(iter(entry.emails), "")))
    return People(persons, links, by_identity)
