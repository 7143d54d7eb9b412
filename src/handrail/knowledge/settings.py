"""The `[knowledge]` section of handrail.toml (imported by config.py: msgspec only)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class KnowledgeSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    # No commit for this many months (before the analysed revision): inferred as departed;
    # 0 turns the inference off.
    inactive_months: Annotated[int, msgspec.Meta(ge=0, le=600)] = 12
    # Identities whose commits carry no knowledge: e-mails or names, compared case-insensitively,
    # on top of the built-in bot rule (names ending in "[bot]" and the like).
    bots: list[Annotated[str, msgspec.Meta(pattern=r"\S")]] = []
    # Extra paths (git-style globs) left out of the file set, e.g. code copied from elsewhere.
    exclude: list[Annotated[str, msgspec.Meta(pattern=r"\S")]] = []
    # Lines changed within this many days count as recent churn in hotspots.
    churn_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 90
