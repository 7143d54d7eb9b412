"""Verdicts from history: what a doc named was defined when the doc was last edited (or
reviewed), and is gone now — removed, or renamed to what; or it changed since.

Only the files that differ between that baseline commit and now can hold a vanished
definition, so only those are read, each once per blob id through the shared cache.
"""

from __future__ import annotations

import bisect
import difflib
import functools
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath

from handrail import git
from handrail.docs import cache as cache_files
from handrail.docs import definitions, mentions
from handrail.docs.definitions import FileSymbols, language_of
from handrail.docs.mentions import Mentions, could_define_blobs
from handrail.docs.model import Reference
from handrail.docs.parallel import spread
from handrail.docs.symbols import BlobSymbols, Located, SymbolIndex, build_index, module_names

_SIMILAR = 0.6
_DEFINITION_KINDS = frozenset({"function", "class", "method"})


@dataclass(frozen=True)
class Finding:
    """What history says about one reference."""

    verdict: str  # removed, renamed, changed
    evidence_commit: str | None
    reason: str
    new_name: str | None = None


class Baseline:
    """The repository as it was at one commit, against the index of now."""

    def __init__(self, history: RepositoryHistory, commit: str) -> None:
        self.history = history
        self.commit = commit
        self.known: dict[str, str | None] = {}  # {path: blob id} looked up without the tree

    def blob_of(self, path: str) -> str | None:
        """The file's blob id at the baseline (None: no such file)."""
        return self.known[path] if path in self.known else self.blobs.get(path)

    @cached_property
    def blobs(self) -> dict[str, str]:
        """{path: blob id} of the baseline's tree (read only when a question needs it)."""
        return dict(git.list_blobs(self.history.repo, self.commit))

    @cached_property
    def changed(self) -> dict[str, str]:
        """{path: the baseline's blob id} of the files that differ now or are gone."""
        now = self.history.current_blobs
        return {path: blob for path, blob in self.blobs.items() if now.get(path) != blob}

    @cached_property
    def index(self) -> SymbolIndex:
        """The baseline's definitions, read only from changed files that mention a name some
        doc names and the code no longer answers for (a parse of the rest finds nothing)."""
        symbols = self.history.cache.get(self.candidates)
        return build_index(list(self.blobs.items()), symbols, self.history.sought, imports=False)

    @cached_property
    def candidates(self) -> list[tuple[str, str]]:
        """(path, old blob id) of the changed files that could define a sought name."""
        return self.history.worth_reading(self.changed_code)

    @property
    def changed_code(self) -> list[tuple[str, str]]:
        return [(path, blob) for path, blob in self.changed.items() if language_of(path)]

    @cached_property
    def _sorted_paths(self) -> list[str]:
        return sorted(self.blobs)

    def defined(self, ref: Reference) -> list[Located]:
        """The definitions at this baseline, in files changed since, that `ref` names."""
        index = self.index
        leaf = ref.name.rpartition(".")[2]
        if ref.kind == "symbol":
            if ref.name in index.modules and ref.name not in self.history.index.modules:
                path = index.modules[ref.name]
                return [Located(path, "module", ref.name, ref.name, 1, "", "")]
            parts = ref.name.split(".")
            return [
                d
                for d in index.short.get(leaf, [])
                if d.path in self.changed and _subsequence(parts, d.name.split("."))
            ]
        if ref.kind in {"flag", "env", "make", "command"}:
            return [d for d in index.defines(ref.kind, ref.name) if d.path in self.changed]
        if ref.kind == "config":
            return [d for d in index.defines("config", ref.name) if d.path in self.changed]
        return []

    def path_existed(self, path: str) -> bool:
        """A file of the baseline, or a folder holding one."""
        if path in self.blobs:
            return True
        paths = self._sorted_paths
        at = bisect.bisect_left(paths, f"{path}/")
        return at < len(paths) and paths[at].startswith(f"{path}/")


def _subsequence(wanted: list[str], parts: list[str]) -> bool:
    position = 0
    for part in parts:
        if position < len(wanted) and part == wanted[position]:
            position += 1
    return position == len(wanted)


class RepositoryHistory:
    """History questions about one revision, with baselines built once and shared by docs."""

    def __init__(
        self,
        repo: git.RepoInfo,
        rev: str,
        index: SymbolIndex,
        cache: BlobSymbols,
        sought: Collection[tuple[str, str]] = (),
    ) -> None:
        """`sought`: (kind, name) of every reference the code no longer answers for: only
        files that could define one can hold a vanished definition."""
        self.repo = repo
        self.rev = rev
        self.index = index
        self.cache = cache
        self._mention = Mentions(sought, index)
        self.sought = self._mention.leaves
        # Per blob, whether it could define a sought name: remembered across runs that seek
        # the same names, since testing means reading every old file again.
        self._mentions_at = cache_files.location(
            repo, f"mentions-{self._mention.digest}", (mentions, definitions)
        )
        self._mentions: dict[str, bool] = cache_files.load(self._mentions_at, bool)
        self._mentions_dirty = False
        self._baselines: dict[str, Baseline] = {}
        self._path_versions: dict[tuple[str, str], list[tuple[str, str | None]]] = {}

    @cached_property
    def current_blobs(self) -> dict[str, str]:
        return dict(git.list_blobs(self.repo, self.rev))

    def baseline(self, commit: str) -> Baseline:
        if commit not in self._baselines:
            self._baselines[commit] = Baseline(self, commit)
        return self._baselines[commit]

    def worth_reading(self, files: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Those (path, blob) of `files` parsed already or mentioning a sought name (each blob
        searched once per run)."""
        cached = self.cache.cached
        unread = {b for p, b in files if b not in self._mentions and not cached(p, b)}
        if unread and self.sought:
            path_of = {b: p for p, b in files}
            items = [(path_of[blob], blob) for blob in sorted(unread)]
            test = functools.partial(could_define_blobs, self._mention, self.repo)
            for (_, blob), could in zip(items, spread(test, items, lambda _: 1), strict=True):
                self._mentions[blob] = could
            self._mentions_dirty = True
        return [(p, b) for p, b in files if cached(p, b) or self._mentions.get(b, False)]

    def prepare_vanished(self, baselines: Collection[Baseline]) -> None:
        """Search, then parse, in one batch each, the old files the indexes of these
        baselines will read: one pass over the blobs they share, the parse in parallel."""
        self.worth_reading(list({pair for b in baselines for pair in b.changed_code}))
        if self._mentions_dirty:
            cache_files.save(self._mentions_at, self._mentions)
            cache_files.prune(self._mentions_at, "mentions")
            self._mentions_dirty = False
        self.cache.get({pair for b in baselines for pair in b.candidates})

    def prepare_changed(self, pairs: list[tuple[Located, Baseline]]) -> None:
        """Look up (one `git cat-file` for all) and parse (one batch) the baseline versions
        `changed` will compare these against."""
        pairs = [(d, b) for d, b in pairs if d.kind in _DEFINITION_KINDS]
        specs = sorted({f"{baseline.commit}:{d.path}" for d, baseline in pairs})
        found = git.blob_ids(self.repo, specs)
        for d, baseline in pairs:
            baseline.known[d.path] = found.get(f"{baseline.commit}:{d.path}")
        self.cache.get(
            {
                (d.path, old)
                for d, baseline in pairs
                if (old := baseline.blob_of(d.path)) is not None
                and old != self.current_blobs.get(d.path)
            }
        )
        # Each changed signature is dated by its file's history since the baseline: those
        # `git log` runs wait on git, not on Python, so they run side by side.
        wanted = sorted(
            {(b.commit, d.path) for d, b in pairs if self._old_signature(d, b) is not None}
        )
        with ThreadPoolExecutor(max_workers=4) as runs:
            found = runs.map(
                lambda key: git.path_versions(self.repo, key[0], self.rev, key[1]), wanted
            )
            self._path_versions.update(zip(wanted, found, strict=True))

    # -- gone: removed or renamed ---------------------------------------------------------

    def vanished(self, ref: Reference, baseline: Baseline) -> Finding | None:
        """Removed or renamed since the baseline, with the commit that did it; None if the
        baseline did not define it either."""
        if ref.kind in {"path", "link"}:
            return self._vanished_path(ref, baseline)
        definitions = baseline.defined(ref)
        if not definitions:
            return None
        old = definitions[0]
        commit = self._first_commit_without(baseline.commit, old)
        renamed = self._new_name(commit, old) if commit else None
        what = f"{old.kind} {old.name}" if old.kind != ref.kind else old.name
        if renamed:
            return Finding(
                "renamed", commit, f"{what} was renamed to {renamed} in {_short(commit)}", renamed
            )
        where = f" in {_short(commit)}" if commit else ""
        return Finding("removed", commit, f"{what} was removed from {old.path}{where}")

    def _vanished_path(self, ref: Reference, baseline: Baseline) -> Finding | None:
        path = _relative(ref.doc, ref.name, baseline) if ref.kind == "link" else ref.name
        if path is None or not baseline.path_existed(path):
            return None
        commit = git.deleting_commit(self.repo, baseline.commit, self.rev, path)
        if commit is None:
            return None
        for new, old in git.changed_paths(self.repo, f"{commit}^", commit):
            if old is None or not (old == path or old.startswith(f"{path}/")):
                continue
            inside = old[len(path) :]  # "" for the file itself, "/x.py" for a file in a folder
            target = new[: len(new) - len(inside)] if new.endswith(inside) else new
            return Finding(
                "renamed", commit, f"{path} was moved to {target} in {_short(commit)}", target
            )
        return Finding("removed", commit, f"{path} was deleted in {_short(commit)}")

    def _symbols_at(self, commit: str, path: str) -> FileSymbols | None:
        blob = git.blob_ids(self.repo, [f"{commit}:{path}"]).get(f"{commit}:{path}")
        return self._symbols_of(path, blob)

    def _symbols_of(self, path: str, blob: str | None) -> FileSymbols | None:
        return None if blob is None else self.cache.get([(path, blob)]).get(blob)

    def _first_commit_without(self, since: str, old: Located) -> str | None:
        """The commit after `since` whose version of the file no longer defines `old`."""
        relative = old.local

        def defines(blob: str | None) -> bool:
            symbols = self._symbols_of(old.path, blob)
            return (
                symbols is not None
                and any(d[0] == old.kind and d[1] == relative for d in symbols.definitions)
                if old.kind != "module"
                else symbols is not None
            )

        return _first(self._versions(since, old.path), defines)

    def _new_name(self, commit: str, old: Located) -> str | None:
        """The definition `commit` added that most looks like `old`: same body, or a name alike."""
        if old.kind == "module":
            return None
        relative = old.local
        added: list[tuple[str, str, str]] = []  # (path, name, body)
        for new_path, old_path in git.changed_paths(self.repo, f"{commit}^", commit):
            after = self._symbols_at(commit, new_path)
            before = self._symbols_at(f"{commit}^", old_path or new_path)
            if after is None:
                continue
            known = {(d[0], d[1]) for d in before.definitions} if before else set()
            added += [
                (new_path, d[1], d[4])
                for d in after.definitions
                if d[0] == old.kind and (d[0], d[1]) not in known
            ]
        if not added:
            return None
        same_body = [a for a in added if old.body and a[2] == old.body]
        leaf = relative.rpartition(".")[2]
        best = (
            same_body[0]
            if same_body
            else max(
                added,
                key=lambda a: difflib.SequenceMatcher(None, leaf, a[1].rpartition(".")[2]).ratio(),
            )
        )
        ratio = difflib.SequenceMatcher(None, leaf, best[1].rpartition(".")[2]).ratio()
        if not same_body and ratio < _SIMILAR:
            return None
        if old.kind in _DEFINITION_KINDS | {"attribute"}:
            modules = {p: m for m, p in module_names(git.list_files(self.repo, commit)).items()}
            module = modules.get(best[0])
            return f"{module}.{best[1]}" if module else best[1]
        return best[1]

    # -- changed since reviewed -------------------------------------------------------------

    def changed(self, definition: Located, baseline: Baseline) -> Finding | None:
        """The definition's signature differs from the baseline's: the doc may describe the old."""
        before = self._old_signature(definition, baseline)
        if before is None:
            return None

        def same(blob: str | None) -> bool:
            symbols = self._symbols_of(definition.path, blob)
            return symbols is not None and any(
                d[1] == definition.local and d[3] == before for d in symbols.definitions
            )

        commit = _first(self._versions(baseline.commit, definition.path), same)
        return Finding(
            "changed",
            commit,
            f"the signature of {definition.name} changed"
            + (f" in {_short(commit)}" if commit else "")
            + " after the doc was last edited or reviewed",
        )

    def _old_signature(self, definition: Located, baseline: Baseline) -> str | None:
        """The definition's signature at the baseline when it differs from today's."""
        if definition.kind not in _DEFINITION_KINDS:
            return None
        old_blob = baseline.blob_of(definition.path)
        if old_blob is None or old_blob == self.current_blobs.get(definition.path):
            return None
        old = self._symbols_of(definition.path, old_blob)
        before = next(
            (
                d[3]
                for d in (old.definitions if old else [])
                if d[0] == definition.kind and d[1] == definition.local
            ),
            None,
        )
        return None if before == definition.signature else before

    def _versions(self, since: str, path: str) -> list[tuple[str, str | None]]:
        if (since, path) not in self._path_versions:
            self._path_versions[since, path] = git.path_versions(self.repo, since, self.rev, path)
        return self._path_versions[since, path]


def _first(
    versions: list[tuple[str, str | None]], holds: Callable[[str | None], bool]
) -> str | None:
    """The commit of the first of a file's `versions` (oldest first) whose blob no longer
    `holds`, by bisection: a definition, once gone, stays gone."""
    low, high = 0, len(versions)
    while low < high:
        middle = (low + high) // 2
        if holds(versions[middle][1]):
            low = middle + 1
        else:
            high = middle
    return versions[low][0] if low < len(versions) else None


def _relative(doc: str, target: str, baseline: Baseline) -> str | None:
    from handrail.docs.resolve import _normalize

    base = str(PurePosixPath(doc).parent)
    for candidate in (f"{base}/{target}", target):
        path = _normalize(candidate)
        if path and baseline.path_existed(path):
            return path
    return None


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "an unknown commit"
