"""`check_docs`: every stale reference in a repository's docs, with its evidence.

The public API other modules build on (the search withholds passages with stale references):

* `check_docs(repo, paths, changed_since, settings, rev="HEAD") -> DocsReport`
* `stale_references_by_doc(report) -> dict[doc path, list[StaleReference]]`

Both are stable: new fields may be added to the returned dataclasses, none removed.
"""

from __future__ import annotations

import datetime
import hashlib
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import PurePosixPath

import msgspec

from handrail import git
from handrail.docs import cache, definitions, mentions, model, resolve, rst, shell
from handrail.docs import extract as extract_module
from handrail.docs import history as history_module
from handrail.docs import symbols as symbols_module
from handrail.docs.extract import Document, extract
from handrail.docs.history import Baseline, Finding, RepositoryHistory
from handrail.docs.model import (
    SEVERITY,
    DocFreshness,
    DocsReport,
    Reference,
    StaleReference,
)
from handrail.docs.parallel import spread
from handrail.docs.resolve import Resolution, Resolver
from handrail.docs.settings import DocsSettings
from handrail.docs.symbols import BlobSymbols, SymbolIndex, index_at
from handrail.errors import HandrailError

# References answered by the tree's listing, not by definitions.
_PATH_KINDS = frozenset({"path", "link", "anchor"})
# The code a report depends on: a change to any of it starts the remembered reports afresh.
_JUDGES = (
    sys.modules[__name__],
    cache,
    definitions,
    extract_module,
    history_module,
    mentions,
    model,
    resolve,
    rst,
    shell,
    symbols_module,
)
_REPORTS_KEPT = 16


class _CachedDocument(msgspec.Struct, array_like=True):
    references: list[tuple[int, str, str, str, str | None, bool]]
    anchors: list[str]
    reviewed: str | None


def check_docs(
    repo: git.RepoInfo,
    paths: list[str] | None = None,
    changed_since: str | None = None,
    settings: DocsSettings | None = None,
    rev: str = "HEAD",
) -> DocsReport:
    """Check the docs at `rev` (all those `settings` select, or those under `paths`).

    With `changed_since`, only what the change between that revision and `rev` makes stale or
    touches is reported: references in docs it edited, and references whose evidence commit
    it contains.
    """
    settings = settings or DocsSettings()
    commit = git.resolve_commit(repo, rev)
    if commit is None:
        return DocsReport(rev)
    blobs = git.list_blobs(repo, commit)
    selected = _select(settings.selects([p for p, _ in blobs]), paths)
    # A commit's tree never changes: the same docs judged with the same settings by the same
    # code give the same report, so a repeated check (CI re-runs, `docs search`) reads it.
    key = hashlib.blake2b(
        repr((commit, sorted(selected), settings)).encode(), digest_size=12
    ).hexdigest()
    location = cache.location(repo, "reports", _JUDGES)
    reports: dict[str, DocsReport] = cache.load(location, DocsReport)
    report = reports.get(key)
    if report is None:
        report = _check(repo, commit, rev, [(p, b) for p, b in blobs if p in selected], settings)
        kept = list(reports.items())[: _REPORTS_KEPT - 1]
        cache.save(location, {key: report, **dict(kept)})
    report.rev = rev
    if changed_since is not None:
        report = _only_changed(repo, report, changed_since, commit)
    return report


def _check(
    repo: git.RepoInfo,
    commit: str,
    rev: str,
    documents_blobs: list[tuple[str, str]],
    settings: DocsSettings,
) -> DocsReport:
    symbols = BlobSymbols(repo)
    try:
        with ThreadPoolExecutor(max_workers=1) as background:
            # git's walk for each doc's last edit runs while the code is parsed.
            docs = [path for path, _ in documents_blobs]
            last_edits = background.submit(git.last_commits, repo, commit, docs)
            index = index_at(repo, commit, symbols)
            documents = _read_documents(repo, documents_blobs)
            resolver = Resolver(
                index,
                {d.path: d.anchors for d in documents if not d.path.endswith(".rst")},
                tuple(settings.external),
            )
            checker = _Checker(repo, commit, resolver, index, symbols)
            return checker.run(documents, rev, last_edits.result())
    finally:
        symbols.save()


def stale_references_by_doc(report: DocsReport) -> dict[str, list[StaleReference]]:
    """The report's stale references grouped by document (each list sorted by line)."""
    grouped: dict[str, list[StaleReference]] = defaultdict(list)
    for stale in report.stale:
        grouped[stale.doc].append(stale)
    return dict(grouped)


def _select(documents: list[str], paths: list[str] | None) -> set[str]:
    if not paths:
        return set(documents)
    wanted = [p.strip("/").removeprefix("./") for p in paths]
    chosen = {d for d in documents for w in wanted if d == w or d.startswith(f"{w}/") or not w}
    unknown = [
        p
        for p, w in zip(paths, wanted, strict=True)
        if w and not any(d == w or d.startswith(f"{w}/") for d in documents)
    ]
    if unknown:
        raise HandrailError(f"{unknown[0]}: not a document Handrail checks (Markdown or reST)")
    return chosen


def _read_documents(repo: git.RepoInfo, blobs: list[tuple[str, str]]) -> list[Document]:
    """Each doc's references, extracted once per blob id and remembered."""
    location = cache.location(repo, "documents", (extract_module, rst, shell))
    entries: dict[str, _CachedDocument] = cache.load(location, _CachedDocument)
    keys = {blob: f"{PurePosixPath(path).suffix.lower()}:{blob}" for path, blob in blobs}
    missing = {blob for blob in keys if keys[blob] not in entries}
    paths_of = {blob: path for path, blob in blobs}
    read = [
        (paths_of[blob], blob, content) for blob, content in git.read_blobs(repo, sorted(missing))
    ]
    extracted = spread(_extract_many, [(path, content) for path, _, content in read], _size)
    for (_, blob, _), entry in zip(read, extracted, strict=True):
        entries[keys[blob]] = entry
    if missing:
        cache.save(location, entries)
    documents = []
    for path, blob in blobs:
        entry = entries[keys[blob]]
        references = [
            Reference(path, line, text, kind, name, program, explicit)  # type: ignore[arg-type]
            for line, text, kind, name, program, explicit in entry.references
        ]
        reviewed = datetime.date.fromisoformat(entry.reviewed) if entry.reviewed else None
        documents.append(Document(path, references, set(entry.anchors), reviewed))
    return documents


def _extract_many(docs: list[tuple[str, bytes]]) -> list[_CachedDocument]:
    """The references of each (path, content): a worker process's share."""
    entries = []
    for path, content in docs:
        document = extract(path, content.decode("utf-8", "replace"))
        entries.append(
            _CachedDocument(
                [
                    (r.line, r.text, r.kind, r.name, r.program, r.explicit)
                    for r in document.references
                ],
                sorted(document.anchors),
                document.reviewed.isoformat() if document.reviewed else None,
            )
        )
    return entries


def _size(doc: tuple[str, bytes]) -> int:
    return len(doc[1])


@dataclass
class _Judged:
    reference: Reference
    resolution: Resolution


class _Checker:
    def __init__(
        self,
        repo: git.RepoInfo,
        commit: str,
        resolver: Resolver,
        index: SymbolIndex,
        symbols: BlobSymbols,
    ) -> None:
        self.repo = repo
        self.commit = commit
        self.resolver = resolver
        self.index = index
        self.symbols = symbols

    def run(self, documents: list[Document], rev: str, last_edits: dict[str, str]) -> DocsReport:
        """`last_edits`: {doc: the commit that last changed it}."""
        judged = {d.path: self._resolve(d) for d in documents}
        # Per doc, the references whose definitions history may find gone.
        vanishing = {
            doc: [j for j in items if _may_have_vanished(j)] for doc, items in judged.items()
        }
        sought = {
            (j.reference.kind, j.reference.name) for items in vanishing.values() for j in items
        }
        history = RepositoryHistory(self.repo, self.commit, self.index, self.symbols, sought)
        baselines = {
            d.path: history.baseline(commit)
            for d in documents
            if (commit := self._baseline(d, last_edits.get(d.path)))
        }
        history.prepare_vanished({baselines[doc] for doc in baselines if vanishing[doc]})
        history.prepare_changed(
            [
                (j.resolution.definition, baselines[doc])
                for doc, items in judged.items()
                if doc in baselines
                for j in items
                if j.resolution.definition is not None
            ]
        )
        report = DocsReport(rev)
        for document in documents:
            stale, checked = self._judge(
                judged[document.path], history, baselines.get(document.path)
            )
            report.stale += stale
            report.documents.append(
                DocFreshness(
                    document.path,
                    checked,
                    len({(s.kind, s.reference) for s in stale}),
                    last_edits.get(document.path),
                    document.reviewed.isoformat() if document.reviewed else None,
                )
            )
        report.stale = self._drop_ignored(report.stale)
        report.stale.sort(key=lambda s: (s.doc, s.line, s.reference))
        return report

    def _resolve(self, document: Document) -> list[_Judged]:
        seen: dict[tuple[str, str, str | None], Resolution] = {}
        judged = []
        for ref in document.references:
            key = (ref.kind, ref.name, ref.program)
            if key not in seen:
                seen[key] = self.resolver.resolve(ref)
            if seen[key].status != "external":
                judged.append(_Judged(ref, seen[key]))
        return judged

    def _baseline(self, document: Document, last_edit: str | None) -> str | None:
        """The commit the doc was last known true at: its last edit, or its review if later."""
        baseline = last_edit
        if document.reviewed is not None:
            reviewed = git.commit_before(
                self.repo, self.commit, f"{document.reviewed.isoformat()} 23:59:59"
            )
            if reviewed and (baseline is None or git.rev_list(self.repo, reviewed, [baseline])):
                baseline = reviewed
        return None if baseline == self.commit else baseline

    def _judge(
        self, judged: list[_Judged], history: RepositoryHistory, baseline: Baseline | None
    ) -> tuple[list[StaleReference], int]:
        findings: dict[tuple[str, str, str | None], Finding | None] = {}
        stale: list[StaleReference] = []
        checked: set[tuple[str, str]] = set()
        changed_reported: set[str] = set()
        for item in judged:
            ref, resolution = item.reference, item.resolution
            key = (ref.kind, ref.name, ref.program)
            if resolution.status == "found":
                checked.add((ref.kind, ref.name))
                definition = resolution.definition
                if baseline is None or definition is None or definition.name in changed_reported:
                    continue
                if key not in findings:
                    findings[key] = history.changed(definition, baseline)
                finding = findings[key]
                if finding is not None:
                    changed_reported.add(definition.name)
                    stale.append(_stale(ref, finding.verdict, finding.reason, finding))
                continue
            if key not in findings:
                findings[key] = history.vanished(ref, baseline) if baseline is not None else None
            finding = findings[key]
            if finding is not None:
                checked.add((ref.kind, ref.name))
                stale.append(_stale(ref, finding.verdict, finding.reason, finding))
            elif resolution.status == "missing":
                checked.add((ref.kind, ref.name))
                stale.append(_stale(ref, "missing", resolution.reason, None))
        return stale, len(checked)

    def _drop_ignored(self, stale: list[StaleReference]) -> list[StaleReference]:
        """A missing path that git ignores is generated (a build output, a local config)."""
        suspects = sorted(
            {s.reference for s in stale if s.verdict == "missing" and s.kind in {"path", "link"}}
        )
        ignored = git.ignored_paths(self.repo, suspects)
        return [s for s in stale if not (s.verdict == "missing" and s.reference in ignored)]


def _may_have_vanished(judged: _Judged) -> bool:
    """Whether history could show this reference's definition gone. Only a reference the code
    no longer answers for can name one; paths are answered by the tree's listing. A bare
    lowercase word in code markup that nothing defines (``syms``, ``prefix``) is a variable
    or a parameter far more often than a vanished definition, and searching every old file
    for it is what history would cost most: it is looked for when the doc marks it as code
    (a Sphinx role, an import, a call), qualifies it, or it is a compound (``get_json``)."""
    ref, status = judged.reference, judged.resolution.status
    if status == "found" or ref.kind in _PATH_KINDS:
        return False
    name = ref.name.strip("_")
    bare = ref.kind == "symbol" and name.isalnum() and name.islower()
    return not bare or status == "missing" or ref.explicit or ref.text.endswith(")")


def _stale(ref: Reference, verdict: str, reason: str, finding: Finding | None) -> StaleReference:
    return StaleReference(
        doc=ref.doc,
        line=ref.line,
        reference=ref.name,
        kind=ref.kind,
        verdict=verdict,  # type: ignore[arg-type]
        reason=reason,
        evidence_commit=finding.evidence_commit if finding else None,
        severity=SEVERITY[verdict],
        new_name=finding.new_name if finding else None,
    )


def _only_changed(repo: git.RepoInfo, report: DocsReport, since: str, commit: str) -> DocsReport:
    base = git.merge_base(repo, since, commit)
    in_change = set(git.rev_list(repo, commit, [base]))
    touched = {path for path, _ in git.changed_paths(repo, base, commit)}
    report.stale = [
        s for s in report.stale if s.doc in touched or (s.evidence_commit or "") in in_change
    ]
    return report
