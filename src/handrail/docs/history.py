"""Verdicts from history: what a doc named was defined when the doc was last edited (or
reviewed), and is gone now — removed, or renamed to what; or it changed since.

Only the files that differ between that baseline commit and now can hold a vanished
definition, so only those are read, each once per blob id through the shared cache.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath

from handrail import git
from handrail.docs.definitions import FileSymbols, language_of
from handrail.docs.model import Reference
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

    def __init__(self, history: RepositoryHistory, commit: str, wanted: set[str]) -> None:
        self.history = history
        self.commit = commit
        repo, now = history.repo, history.current_blobs
        self.blobs = dict(git.list_blobs(repo, commit))
        self.changed = {path: blob for path, blob in self.blobs.items() if now.get(path) != blob}
        symbols = history.cache.get(self._worth_reading(wanted))
        self.index = build_index(list(self.blobs.items()), symbols)

    def _worth_reading(self, wanted: set[str]) -> list[tuple[str, str]]:
        """Changed files that mention a wanted name at all (a parse of the rest finds nothing)."""
        candidates = [(p, b) for p, b in self.changed.items() if language_of(p)]
        cached = self.history.cache.cached
        pending = [(p, b) for p, b in candidates if not cached(p, b)]
        needles = [name.encode() for name in wanted]
        unique = {b for _, b in pending}
        contents = dict(git.read_blobs(self.history.repo, unique)) if unique and needles else {}
        mentions = {b for b, text in contents.items() if any(n in text for n in needles)}
        return [(p, b) for p, b in candidates if cached(p, b) or b in mentions]

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
        return path in self.index.paths or path in self.index.dirs


def _subsequence(wanted: list[str], parts: list[str]) -> bool:
    position = 0
    for part in parts:
        if position < len(wanted) and part == wanted[position]:
            position += 1
    return position == len(wanted)


class RepositoryHistory:
    """History questions about one revision, with baselines built once and shared by docs."""

    def __init__(
        self, repo: git.RepoInfo, rev: str, index: SymbolIndex, cache: BlobSymbols
    ) -> None:
        self.repo = repo
        self.rev = rev
        self.index = index
        self.cache = cache
        self._baselines: dict[str, Baseline] = {}

    @cached_property
    def current_blobs(self) -> dict[str, str]:
        return dict(git.list_blobs(self.repo, self.rev))

    def baseline(self, commit: str, wanted: set[str]) -> Baseline:
        if commit not in self._baselines:
            self._baselines[commit] = Baseline(self, commit, wanted)
        return self._baselines[commit]

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
        if blob is None:
            return None
        return self.cache.get([(path, blob)]).get(blob)

    def _first_commit_without(self, since: str, old: Located) -> str | None:
        """The commit after `since` whose version of the file no longer defines `old`."""
        relative = old.local

        def defines(commit: str) -> bool:
            symbols = self._symbols_at(commit, old.path)
            return (
                symbols is not None
                and any(d[0] == old.kind and d[1] == relative for d in symbols.definitions)
                if old.kind != "module"
                else symbols is not None
            )

        return _first(git.commits_touching(self.repo, since, self.rev, old.path), defines)

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
        if definition.kind not in _DEFINITION_KINDS:
            return None
        old_blob = baseline.blobs.get(definition.path)
        if old_blob is None or old_blob == self.current_blobs.get(definition.path):
            return None
        old = self.cache.get([(definition.path, old_blob)]).get(old_blob)
        relative = definition.local
        before = (
            next((d for d in old.definitions if d[0] == definition.kind and d[1] == relative), None)
            if old
            else None
        )
        if before is None or before[3] == definition.signature:
            return None

        def same(commit: str) -> bool:
            symbols = self._symbols_at(commit, definition.path)
            return symbols is not None and any(
                d[1] == relative and d[3] == before[3] for d in symbols.definitions
            )

        commit = _first(
            git.commits_touching(self.repo, baseline.commit, self.rev, definition.path), same
        )
        return Finding(
            "changed",
            commit,
            f"the signature of {definition.name} changed"
            + (f" in {_short(commit)}" if commit else "")
            + " after the doc was last edited or reviewed",
        )


def _first(commits: list[str], holds: Callable[[str], bool]) -> str | None:
    """The first of `commits` (oldest first) where `holds` stops holding, by bisection: a
    definition, once gone, stays gone."""
    low, high = 0, len(commits)
    while low < high:
        middle = (low + high) // 2
        if holds(commits[middle]):
            low = middle + 1
        else:
            high = middle
    return commits[low] if low < len(commits) else None


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
