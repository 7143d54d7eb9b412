"""Lexical ranking of passages: a small protocol any ranker fits, and Okapi BM25 behind it.

BM25 is written here rather than taken from `bm25s` or `rank-bm25`: both need numpy (bm25s
also scipy), tens of megabytes and a slower start for every `handrail docs search` and MCP
server, while a docs tree holds thousands of passages, not millions, and a pure-Python
inverted index scores them in milliseconds. Another ranker (embeddings, a hybrid) only has to
be a `RankerFactory`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Protocol

# Words of a query or passage: identifiers with their dots, dashes and underscores kept whole.
_WORD = re.compile(r"[A-Za-z0-9_]+(?:[.\-][A-Za-z0-9_]+)*")
# Where an identifier breaks into words: `snake_case`, `dotted.name`, `kebab-case`, `CamelCase`.
_SEPARATORS = re.compile(r"[._\-]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def tokenize(text: str) -> list[str]:
    """Lower-case terms: each identifier whole and each of its parts, so `check_docs` matches
    both a query for `check_docs` and one for "check docs", and `HTTPServer` one for "server"."""
    terms: list[str] = []
    for word in _WORD.findall(text):
        parts = [p for piece in _SEPARATORS.split(word) for p in _CAMEL.findall(piece)]
        whole = word.lower()
        terms.append(whole)
        if len(parts) > 1 or (parts and parts[0].lower() != whole):
            terms.extend(p.lower() for p in parts)
    return terms


class Ranker(Protocol):
    """Scores a fixed collection of tokenized passages against a tokenized query."""

    # (passage index, score) of the passages that match at all, best first.
    def rank(self, query: Sequence[str]) -> list[tuple[int, float]]: ...


# Builds a ranker over the tokenized passages, in the order `rank` will number them.
RankerFactory = Callable[[Sequence[Sequence[str]]], Ranker]


class BM25:
    """Okapi BM25 over an inverted index (k1 and b at the usual defaults)."""

    def __init__(self, passages: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.lengths = [len(terms) for terms in passages]
        self.average = sum(self.lengths) / len(passages) if passages else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for index, terms in enumerate(passages):
            for term, count in Counter(terms).items():
                self.postings.setdefault(term, []).append((index, count))

    def idf(self, term: str) -> float:
        # The "+1" form (Lucene's) never goes negative for a term most passages hold.
        found = len(self.postings.get(term, ()))
        return math.log(1 + (len(self.lengths) - found + 0.5) / (found + 0.5))

    def rank(self, query: Sequence[str]) -> list[tuple[int, float]]:
        scores: dict[int, float] = {}
        for term in set(query):
            weight = self.idf(term)
            for index, count in self.postings.get(term, ()):
                norm = self.k1 * (1 - self.b + self.b * self.lengths[index] / self.average)
                scores[index] = scores.get(index, 0.0) + weight * count * (self.k1 + 1) / (
                    count + norm
                )
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
