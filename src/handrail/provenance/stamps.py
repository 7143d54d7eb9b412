"""What AI tools write into the message itself: a stamp line in the body, a subject prefix."""

from __future__ import annotations

from collections.abc import Iterator

from handrail.model import Commit
from handrail.provenance.evidence import Evidence, Unreadable
from handrail.provenance.registry import registry


class Stamps:
    signal = "message stamp"
    weakness = (
        "stamps are free text: copied along with pull-request descriptions, and easily deleted"
    )

    def detect(self, commit: Commit, note: str | None) -> Iterator[Evidence | Unreadable]:
        known = registry()
        for prefix in known.of_kind("subject-prefix"):
            if commit.subject.startswith(prefix.match):
                yield Evidence(
                    commit.sha,
                    self.signal,
                    prefix.tool,
                    prefix.describe(f"subject {commit.subject!r}"),
                    prefix.strength,
                )
        body = commit.message.splitlines()[1:]
        for stamp in known.of_kind("stamp"):
            for line in body:
                before, found, _ = line.partition(stamp.match)
                # A stamp opens its line (after an emoji at most); prose that quotes it does not.
                if found and not any(char.isalnum() for char in before):
                    yield Evidence(
                        commit.sha,
                        self.signal,
                        stamp.tool,
                        stamp.describe(line.strip()),
                        stamp.strength,
                    )
                    break
