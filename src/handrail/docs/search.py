"""Fresh-only retrieval: the passages that best match a query, checked against the code.

Passages come from the docs committed at HEAD (the same tree `check_docs` judges), cut by
`passages.split` and remembered per blob id, so a warm search reads no doc again. A passage
that names something stale (`check_docs`) is withheld and counted, or served flagged with
the reasons when the caller asks for stale passages too. A `changed` finding alone (the
definition moved on after the doc was written, which may still be true) does not withhold a
passage unless `[docs] fail_on_changed` says it should; it is attached as a caution.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any

import msgspec

from handrail import git
from handrail.docs import cache
from handrail.docs.model import StaleReference
from handrail.docs.passages import Passage, split
from handrail.docs.ranking import BM25, RankerFactory, tokenize
from handrail.docs.settings import DocsSettings

# A new name whenever `split` or `tokenize` change what is stored: old entries are then unused.
CACHE_NAME = "passages-v1.msgpack"

# (commit, encoded settings, doc) -> that doc's stale references.
FindingsMemo = dict[tuple[str, bytes, str], list[StaleReference]]


class _Stored(msgspec.Struct, array_like=True, frozen=True):
    """A passage without its doc path (the cache is keyed by content), with its search terms."""

    heading: list[str]
    start_line: int
    end_line: int
    text: str
    terms: list[str]


@dataclass(frozen=True)
class RankedPassage:
    """A passage that matched: where it is, what it says, how well it matched, and whether
    what it names still holds (`stale` lists the findings inside its line range)."""

    doc: str
    heading: tuple[str, ...]
    start_line: int
    end_line: int
    text: str
    score: float
    fresh: bool
    stale: tuple[StaleReference, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "heading": " > ".join(self.heading),
            "lines": [self.start_line, self.end_line],
            "score": round(self.score, 3),
            "fresh": self.fresh,
            "stale_references": [asdict(s) for s in self.stale],
            "text": self.text,
        }


class SearchResults(list[RankedPassage]):
    """The passages served, best first; `withheld` holds the better-ranked stale passages that
    were kept back, with the reasons in each one's `stale`."""

    def __init__(self, served: Iterable[RankedPassage], withheld: Sequence[RankedPassage]) -> None:
        super().__init__(served)
        self.withheld = list(withheld)

    def as_dict(self, query: str) -> dict[str, Any]:
        return {
            "query": query,
            "results": [hit.as_dict() for hit in self],
            "withheld": len(self.withheld),
            "withheld_passages": [
                {
                    "doc": w.doc,
                    "heading": " > ".join(w.heading),
                    "lines": [w.start_line, w.end_line],
                    "reasons": [s.reason for s in w.stale],
                }
                for w in self.withheld
            ],
        }


def search(
    repo: git.RepoInfo,
    query: str,
    limit: int = 5,
    include_stale: bool = False,
    ranker: RankerFactory = BM25,
    memo: FindingsMemo | None = None,
) -> SearchResults:
    """The `limit` best passages for `query` that are still true (or flagged, with
    `include_stale`), and the stale ones that ranked above the last one served.

    A long-lived caller (the MCP server) passes the same `memo` to every search, so that a
    document is checked once per commit rather than once per query."""
    from handrail.config import load_config

    terms = tokenize(query)
    head = git.resolve_commit(repo, "HEAD") if terms and limit > 0 else None
    if head is None:
        return SearchResults([], [])
    settings = load_config(repo).docs
    passages, indexed = passage_index(repo, settings)
    ranked = ranker(indexed).rank(terms)
    scope = (head, msgspec.json.encode(settings))
    findings = _Findings(repo, settings, scope, {} if memo is None else memo)
    return _serve(passages, ranked, limit, include_stale, findings)


def passage_index(
    repo: git.RepoInfo, settings: DocsSettings
) -> tuple[list[Passage], list[list[str]]]:
    """Every passage of the docs the settings select at HEAD, and each one's search terms."""
    blobs = dict(git.list_blobs(repo, "HEAD"))
    docs = settings.selects(sorted(blobs))
    location = cache.location(repo, CACHE_NAME)
    stored: dict[str, list[_Stored]] = cache.load(location, list[_Stored])
    keys = {doc: _key(doc, blobs[doc]) for doc in docs}
    missing = {key: doc for doc, key in keys.items() if key not in stored}
    if missing:
        contents = dict(git.read_blobs(repo, {blobs[doc] for doc in missing.values()}))
        for key, doc in missing.items():
            text = contents[blobs[doc]].decode("utf-8", "replace")
            stored[key] = [_store(p) for p in split(doc, text)]
    if missing or len(stored) > len(set(keys.values())):
        wanted = set(keys.values())  # forget the docs' old versions
        cache.save(location, {key: value for key, value in stored.items() if key in wanted})
    passages: list[Passage] = []
    indexed: list[list[str]] = []
    for doc in docs:
        for entry in stored[keys[doc]]:
            passages.append(
                Passage(doc, tuple(entry.heading), entry.start_line, entry.end_line, entry.text)
            )
            indexed.append(entry.terms)
    return passages, indexed


def _key(doc: str, blob: str) -> str:
    # The same bytes split differently as Markdown and as reStructuredText.
    return f"{'rst' if PurePosixPath(doc).suffix.lower() == '.rst' else 'md'}:{blob}"


def _store(passage: Passage) -> _Stored:
    # The heading trail counts as words of the passage: a section titled "Rotating keys" is
    # about rotating keys even when its paragraphs never say so again.
    terms = tokenize(" ".join(passage.heading)) + tokenize(passage.text)
    return _Stored(list(passage.heading), passage.start_line, passage.end_line, passage.text, terms)


def _serve(
    passages: list[Passage],
    ranked: list[tuple[int, float]],
    limit: int,
    include_stale: bool,
    findings: _Findings,
) -> SearchResults:
    """Walk the ranking best first, checking docs in growing batches until `limit` are served."""
    served: list[RankedPassage] = []
    withheld: list[RankedPassage] = []
    position, batch = 0, limit * 4
    while position < len(ranked) and len(served) < limit:
        window = ranked[position : position + batch]
        findings.check({passages[index].doc for index, _ in window})
        for index, score in window:
            hit = findings.judge(passages[index], score)
            if hit.fresh or include_stale:
                served.append(hit)
            else:
                withheld.append(hit)
            if len(served) == limit:
                break
        position += len(window)
        batch *= 2
    return SearchResults(served, withheld)


class _Findings:
    """Each doc's stale references from `check_docs`, asked for in batches, remembered per
    (commit, settings, doc) in the caller's memo."""

    def __init__(
        self,
        repo: git.RepoInfo,
        settings: DocsSettings,
        scope: tuple[str, bytes],
        memo: FindingsMemo,
    ) -> None:
        self.repo, self.settings, self.scope, self.memo = repo, settings, scope, memo

    def check(self, docs: set[str]) -> None:
        from handrail.docs.check import check_docs, stale_references_by_doc

        unchecked = sorted(doc for doc in docs if (*self.scope, doc) not in self.memo)
        if unchecked:
            report = check_docs(self.repo, unchecked, None, self.settings)
            found = stale_references_by_doc(report)
            for doc in unchecked:
                self.memo[(*self.scope, doc)] = found.get(doc, [])

    def judge(self, passage: Passage, score: float) -> RankedPassage:
        stale = self.memo[(*self.scope, passage.doc)]
        inside = tuple(s for s in stale if passage.start_line <= s.line <= passage.end_line)
        fresh = not any(_withholds(s, self.settings) for s in inside)
        return RankedPassage(
            passage.doc,
            passage.heading,
            passage.start_line,
            passage.end_line,
            passage.text,
            score,
            fresh,
            inside,
        )


def _withholds(stale: StaleReference, settings: DocsSettings) -> bool:
    """Whether this finding makes a passage untrustworthy, not merely worth a second look."""
    return stale.verdict != "changed" or settings.fail_on_changed
