"""AI co-authors and disclosure trailers: as git parsed them, and as squash merges leave them.

GitHub's squash merge lists the squashed commits' messages in the body, indented or as
`* ` bullets, so git no longer reads their trailers as trailers. Those lines still say what
they say, but only for some of the squashed commits and in text anyone may edit while
merging: they count one step weaker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from handrail.model import Commit
from handrail.provenance.evidence import Evidence, Unreadable, weaker
from handrail.provenance.registry import KnownSignature, registry

CO_AUTHOR_KEY = "Co-authored-by"
# The e-mail of "Name <e-mail>"; the display name may hold anything, brackets included.
_EMAIL = re.compile(r"<([^<>\s]+@[^<>\s]+)>\s*$")
# A trailer-shaped line, once the indentation or bullet a squash put before it is gone.
_TRAILER_LINE = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*):[ \t]*(\S.*)")
_SQUASH_INDENT = " \t*-+>"


def match_trailer(key: str, value: str) -> KnownSignature | None:
    """The known AI signature a trailer is: an AI co-author (by e-mail) or an AI trailer key."""
    if key.casefold() == CO_AUTHOR_KEY.casefold():
        email = _EMAIL.search(value)
        return registry().identity(email.group(1)) if email else None
    return registry().trailer(key)


def _tool(signature: KnownSignature, value: str) -> str | None:
    if signature.tool:
        return signature.tool
    # The kernel's `Assisted-by: AGENT:MODEL [tools]` names the agent first; others, the value.
    first = value.split(maxsplit=1)[0] if value.strip() else ""
    return first.partition(":")[0] if ":" in first else value.strip() or None


def _evidence(
    commit: Commit, signal: str, key: str, value: str, signature: KnownSignature, squashed: bool
) -> Evidence:
    strength = weaker(signature.strength) if squashed else signature.strength
    detail = signature.describe(f"{key}: {value}")
    return Evidence(commit.sha, signal, _tool(signature, value), detail, strength)


class Trailers:
    signal = "trailer"
    weakness = (
        "trailers are plain text: they can be forged, and rebases, squashes and edited messages "
        "drop them"
    )

    def detect(self, commit: Commit, note: str | None) -> Iterator[Evidence | Unreadable]:
        for key, value in commit.trailers:
            signature = match_trailer(key, value)
            if signature:
                yield _evidence(commit, self.signal, key, value, signature, squashed=False)


class SquashedTrailers:
    signal = "trailer in body"
    weakness = (
        "a squash merge keeps trailers in the body, where they may speak for only some of the "
        "squashed commits"
    )

    def detect(self, commit: Commit, note: str | None) -> Iterator[Evidence | Unreadable]:
        parsed = {(key.casefold(), value) for key, value in commit.trailers}
        for line in commit.message.splitlines()[1:]:
            found = _TRAILER_LINE.fullmatch(line.lstrip(_SQUASH_INDENT).rstrip())
            if not found:
                continue
            key, value = found.group(1), found.group(2)
            if (key.casefold(), value) in parsed:
                continue  # git read this line as a trailer: the Trailers detector counts it
            signature = match_trailer(key, value)
            if signature:
                yield _evidence(commit, self.signal, key, value, signature, squashed=True)
