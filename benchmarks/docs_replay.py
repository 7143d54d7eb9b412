#!/usr/bin/env python3
"""Recall of `handrail docs check`, measured by replaying a repository's real history.

    python benchmarks/docs_replay.py PATH_TO_REPO [--limit N] [--scan M] [--rev REV]

Walks the M newest non-merge commits of REV (default 400) looking for *events*: a commit that
removed or renamed a Python function, class or method, a file, or a command-line flag while a
doc it left unchanged still names it. "Names it" is decided independently of Handrail's own
extractor, by `git grep` in the docs at that commit: the whole word for distinctive names
(at least 6 characters with an underscore or inner capital, so that `run` or `x` never count),
the exact text for paths and flags; and the name must be defined nowhere else at that commit
(`git grep` for `def NAME` / `class NAME`). For the first N events (default 25) it runs
`check_docs` at that commit on those docs and counts the event as flagged when a stale
reference there names the same thing. Prints every event and found / flagged / recall.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from handrail import git
from handrail.docs.check import check_docs
from handrail.docs.definitions import read
from handrail.docs.settings import DocsSettings

DOC_GLOBS = ("*.md", "*.rst")
SETTINGS = DocsSettings()
_DISTINCT = re.compile(r"(?=.{6,})[A-Za-z_]\w*(_\w|[a-z][A-Z])\w*")


@dataclass
class Event:
    commit: str
    kind: str  # symbol, path, flag
    name: str  # the leaf name, path or flag
    docs: list[str]


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False)
    return proc.stdout.decode("utf-8", "replace")


def _docs_naming(repo: Path, commit: str, kind: str, text: str) -> list[str]:
    if kind == "path":
        flags = ["-F", "-e", text]
    else:  # the whole name: `--env` must not match `--env-file`, nor `run` match `run_app`
        flags = ["-E", "-e", rf"(^|[^A-Za-z0-9_-]){re.escape(text)}($|[^A-Za-z0-9_-])"]
    out = _git(repo, "grep", *flags, commit, "--", *DOC_GLOBS)
    # A path inside a URL names another site's file (often the project's own web page).
    docs = {line.split(":", 2)[1] for line in out.splitlines() if line and "://" not in line}
    return SETTINGS.selects(sorted(docs))


def _docs_define(repo: Path, commit: str, leaf: str) -> bool:
    """A doc whose own example defines the name (`def hello():`) names its own code."""
    pattern = rf"(def|class)\s+{re.escape(leaf)}\b"
    return bool(_git(repo, "grep", "-l", "-E", "-e", pattern, commit, "--", *DOC_GLOBS).strip())


def _defined_elsewhere(repo: Path, commit: str, leaf: str) -> bool:
    pattern = rf"^\s*(async\s+)?(def|class)\s+{re.escape(leaf)}\b"
    return bool(_git(repo, "grep", "-l", "-E", "-e", pattern, commit, "--", "*.py").strip())


def _removed_definitions(info: git.RepoInfo, commit: str) -> set[tuple[str, str]]:
    gone: set[tuple[str, str]] = set()
    for new, old in git.changed_paths(info, f"{commit}^", commit):
        if not (old or new).endswith(".py"):
            continue
        before = git.read_blob(info, f"{commit}^", old or new)
        after = git.read_blob(info, commit, new)
        if before is None:
            continue
        old_defs = {(d[0], d[1]) for d in read("python", before).definitions}
        new_defs = {(d[0], d[1]) for d in read("python", after).definitions} if after else set()
        for kind, name in old_defs - new_defs:
            if kind in {"function", "class", "method"}:
                gone.add(("symbol", name.rpartition(".")[2]))
            elif kind == "flag" and name.startswith("--") and ("flag", name) not in new_defs:
                gone.add(("flag", name))
    return gone


def find_events(repo: Path, rev: str, scan: int, limit: int) -> list[Event]:
    info = git.open_repo(repo)
    commits = _git(repo, "rev-list", "--no-merges", f"--max-count={scan}", rev).split()
    events: list[Event] = []
    for commit in commits:
        if len(_git(repo, "rev-list", "--parents", "-n1", commit).split()) != 2:
            continue
        changed = git.changed_paths(info, f"{commit}^", commit)
        touched_docs = {new for new, _ in changed} | {old for _, old in changed if old}
        candidates = _removed_definitions(info, commit)
        for new, old in changed:
            gone = old if old else (new if git.read_blob(info, commit, new) is None else None)
            if gone and "/" in gone and not gone.endswith((".md", ".rst")):
                candidates.add(("path", gone))
        for kind, name in sorted(candidates):
            if kind == "symbol" and (
                not _DISTINCT.fullmatch(name)
                or _defined_elsewhere(repo, commit, name)
                or _docs_define(repo, commit, name)
            ):
                continue
            docs = [d for d in _docs_naming(repo, commit, kind, name) if d not in touched_docs]
            if docs:
                events.append(Event(commit, kind, name, docs))
                if len(events) >= limit:
                    return events
    return events


def flagged(repo: Path, event: Event) -> bool:
    info = git.open_repo(repo)
    report = check_docs(info, event.docs, None, SETTINGS, rev=event.commit)
    for stale in report.stale:
        if stale.verdict == "changed":
            continue
        if event.kind == "symbol" and stale.reference.rpartition(".")[2] == event.name:
            return True
        if event.kind != "symbol" and stale.reference.rstrip("/") == event.name:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--limit", type=int, default=25, help="events to check (default 25)")
    parser.add_argument("--scan", type=int, default=400, help="commits to scan (default 400)")
    parser.add_argument("--rev", default="HEAD")
    args = parser.parse_args()
    events = find_events(args.path, args.rev, args.scan, args.limit)
    hits = 0
    for event in events:
        hit = flagged(args.path, event)
        hits += hit
        mark = "flagged" if hit else "MISSED "
        docs = ", ".join(event.docs[:3])
        print(f"{mark} {event.commit[:10]} {event.kind:6} {event.name}  in {docs}")
    found = len(events)
    recall = hits / found if found else 0.0
    print(f"found {found}  flagged {hits}  recall {recall:.1%}")


if __name__ == "__main__":
    main()
