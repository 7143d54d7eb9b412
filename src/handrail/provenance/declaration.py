"""Our own explicit declaration, `AI-Assisted: yes|no` (or `yes: <tool>`): it decides.

git compares trailer keys case-insensitively, so aittributor's `Ai-assisted: true` is the same
trailer and reads as `yes`.
"""

from __future__ import annotations

from collections.abc import Iterator

from handrail.model import Commit
from handrail.provenance.evidence import Evidence, Unreadable

DECLARATION_KEY = "AI-Assisted"
_YES = frozenset({"yes", "true"})
_NO = frozenset({"no", "false"})


class Declaration:
    signal = "declaration"
    weakness = "a declaration is the committer's word, and it outweighs every other signal"

    def detect(self, commit: Commit, note: str | None) -> Iterator[Evidence | Unreadable]:
        for key, value in commit.trailers:
            if key.casefold() != DECLARATION_KEY.casefold():
                continue
            answer, _, tool = (part.strip() for part in value.partition(":"))
            written = f"{key}: {value}"
            if answer.casefold() in _YES:
                yield Evidence(commit.sha, self.signal, tool or None, written, "strong")
            elif answer.casefold() in _NO and not tool:
                yield Evidence(commit.sha, self.signal, None, written, "strong", "human")
            else:
                yield Unreadable(
                    commit.sha,
                    self.signal,
                    f"`{written}` is not a declaration (write yes, no, or yes: <tool>)",
                )
