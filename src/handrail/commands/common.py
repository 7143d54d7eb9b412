"""Wiring every command shares: open the repository, read history, resolve people."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from handrail import git
from handrail.config import Config, load_config
from handrail.history import History, read_history
from handrail.history.summary import HistorySummary, IdentityStats, summarize
from handrail.model import Identity
from handrail.people import People, RosterEntry, merge_people
from handrail.render.text import progress_bar


def add_rev_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rev", default="HEAD", help="the revision to read history from (default: HEAD)"
    )


def open_repo(args: argparse.Namespace) -> git.RepoInfo:
    return git.open_repo(args.repo)


def mine(repo: git.RepoInfo, rev: str, args: argparse.Namespace) -> History:
    """Bring the history cache up to date, with a progress bar on a terminal."""
    with progress_bar("reading history", enabled=args.format == "text") as report:
        return read_history(repo, rev, report)


def roster(config: Config) -> list[RosterEntry]:
    return [RosterEntry(p.id, tuple(p.emails), p.name, p.github) for p in config.person]


def mailmap_of(repo: git.RepoInfo) -> Callable[[Sequence[Identity]], list[Identity]]:
    """The mailmap lookup merge_people takes, answered by git's own mailmap reader."""

    def resolve(identities: Sequence[Identity]) -> list[Identity]:
        contacts = [f"{_clean(i.name)} <{_clean(i.email)}>" for i in identities]
        mapped = git.check_mailmap(repo, contacts)
        result = []
        for line in mapped:
            name, _, email = line.rpartition(" <")
            result.append(Identity(name, email.removesuffix(">")))
        return result

    return resolve


def _clean(text: str) -> str:
    # check-mailmap parses "Name <email>": angle brackets inside either part would confuse it.
    return text.replace("<", "").replace(">", "").replace("\n", " ").strip() or "unknown"


@dataclass
class HistoryFacts:
    """What several commands need: the history, its totals and who is who."""

    history: History
    summary: HistorySummary
    by_identity: dict[Identity, IdentityStats]
    people: People


def history_facts(args: argparse.Namespace, config: Config | None = None) -> HistoryFacts:
    """Mine, total and merge people; `config` defaults to the repository's handrail.toml."""
    repo = open_repo(args)
    config = load_config(repo) if config is None else config
    history = mine(repo, args.rev, args)
    try:
        summary, by_identity = summarize(history)
    finally:
        history.close()
    people = merge_people(
        {identity: stats.commits for identity, stats in by_identity.items()},
        mailmap=mailmap_of(repo) if by_identity else None,
        roster=roster(config),
    )
    return HistoryFacts(history, summary, by_identity, people)
