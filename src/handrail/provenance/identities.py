"""AI tools and agents as the author or committer: bot accounts, tool e-mails, aider's suffix."""

from __future__ import annotations

from collections.abc import Iterator

from handrail.model import Commit, Identity
from handrail.provenance.evidence import Evidence, Unreadable
from handrail.provenance.registry import registry


class Identities:
    signal = "identity"
    weakness = (
        "author and committer are whatever the committing machine was configured with: easily "
        "set by hand, or left at a tool's default"
    )

    def detect(self, commit: Commit, note: str | None) -> Iterator[Evidence | Unreadable]:
        roles: dict[Identity, list[str]] = {}
        for role, signature in (("author", commit.author), ("committer", commit.committer)):
            roles.setdefault(signature.identity, []).append(role)
        known = registry()
        for identity, names in roles.items():
            who = " and ".join(names)
            tool = known.identity(identity.email)
            if tool:
                detail = tool.describe(f"{who} {identity}")
                yield Evidence(commit.sha, self.signal, tool.tool, detail, tool.strength)
            for suffix in known.of_kind("name-suffix"):
                if identity.name.endswith(suffix.match):
                    yield Evidence(
                        commit.sha,
                        self.signal,
                        suffix.tool,
                        suffix.describe(f"{who} name {identity.name!r}"),
                        suffix.strength,
                    )
