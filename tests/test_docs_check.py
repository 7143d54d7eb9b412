"""`handrail docs check` on real repositories where the code moves on while the docs stay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitrepo import GitRepo
from handrail import git
from handrail.docs.check import check_docs, stale_references_by_doc
from handrail.docs.model import StaleReference

CLI = """\
import argparse
import os


def main():
    parser = argparse.ArgumentParser(prog="shipit")
    commands = parser.add_subparsers()
    deploy = commands.add_parser("deploy")
    deploy.add_argument("--dry-run", action="store_true")
    deploy.add_argument("--region")
    token = os.environ.get("SHIPIT_TOKEN")
    return parser, token
"""

CORE = """\
class Client:
    def fetch(self, key):
        return key

    def close(self):
        return None


def load_config(path):
    text = open(path).read()
    return text.splitlines()


def connect(host, port=5432):
    return (host, port)
"""

GUIDE = """\
# Shipping guide

Configure with `shipit.core.load_config()` and talk to the service through
`shipit.core.Client.fetch`; `connect()` opens the connection.

```bash
export SHIPIT_TOKEN=secret
shipit deploy --dry-run --region eu
./scripts/release.sh
make build
```

Settings live in `config/settings.yaml` ([the layout](#shipping-guide)).

External things are not ours: `requests.get`, `os.path.join`, `kubectl get pods`,
[the site](https://example.com/docs), `--help`, and the word `frobnicate`.
"""

FILES = {
    "pyproject.toml": (
        '[project]\nname = "shipit"\n\n[project.scripts]\nshipit = "shipit.cli:main"\n'
    ),
    "shipit/__init__.py": "",
    "shipit/cli.py": CLI,
    "shipit/core.py": CORE,
    "scripts/release.sh": '#!/bin/sh\necho "releasing $VERSION"\n',
    "config/settings.yaml": "database:\n  host: localhost\n",
    "Makefile": ".PHONY: build\nbuild:\n\tpython -m build\n",
    "docs/guide.md": GUIDE,
}


def _check(repo: GitRepo, **kwargs: object) -> list[StaleReference]:
    return check_docs(git.open_repo(repo.path), **kwargs).stale  # type: ignore[arg-type]


def _one(stale: list[StaleReference], reference: str) -> StaleReference:
    found = [s for s in stale if s.reference == reference]
    assert len(found) == 1, (reference, stale)
    return found[0]


@pytest.fixture
def project(make_repo: Callable[..., GitRepo]) -> GitRepo:
    repo = make_repo()
    repo.commit("start", FILES)
    return repo


def test_a_repository_whose_docs_match_the_code_is_clean(project: GitRepo) -> None:
    # Valid references (paths, symbols, flags, env vars, make targets, anchors) and external
    # ones (requests, os, kubectl, URLs, a common word) are all left alone.
    assert _check(project) == []


def test_a_renamed_function_names_its_new_name_and_the_commit(project: GitRepo) -> None:
    renamed = project.commit(
        "rename load_config", {"shipit/core.py": CORE.replace("load_config", "read_config")}
    )
    stale = _one(_check(project), "shipit.core.load_config")
    assert (stale.verdict, stale.kind, stale.line) == ("renamed", "symbol", 3)
    assert stale.new_name == "shipit.core.read_config"
    assert stale.evidence_commit == renamed
    assert stale.severity == "error"


def test_a_removed_method_is_removed_not_missing(project: GitRepo) -> None:
    without = CORE.replace("    def fetch(self, key):\n        return key\n\n", "")
    removal = project.commit("drop fetch", {"shipit/core.py": without})
    stale = _one(_check(project), "shipit.core.Client.fetch")
    assert (stale.verdict, stale.evidence_commit) == ("removed", removal)


def test_a_deleted_script_is_removed_with_the_deleting_commit(project: GitRepo) -> None:
    deletion = project.commit("drop the script", {"scripts/release.sh": None})
    stale = _one(_check(project), "scripts/release.sh")
    assert (stale.verdict, stale.kind, stale.line) == ("removed", "path", 9)
    assert stale.evidence_commit == deletion


def test_a_moved_file_is_renamed_to_its_new_path(project: GitRepo) -> None:
    move = project.commit("move settings", renames={"config/settings.yaml": "etc/settings.yaml"})
    stale = _one(_check(project), "config/settings.yaml")
    assert (stale.verdict, stale.new_name, stale.evidence_commit) == (
        "renamed",
        "etc/settings.yaml",
        move,
    )


def test_a_renamed_flag_of_our_own_command(project: GitRepo) -> None:
    project.commit("rename flag", {"shipit/cli.py": CLI.replace("--dry-run", "--dry-mode")})
    stale = _one(_check(project), "--dry-run")
    assert (stale.verdict, stale.kind, stale.new_name) == ("renamed", "flag", "--dry-mode")


def test_a_renamed_environment_variable(project: GitRepo) -> None:
    project.commit(
        "rename variable", {"shipit/cli.py": CLI.replace("SHIPIT_TOKEN", "SHIPIT_API_TOKEN")}
    )
    stale = _one(_check(project), "SHIPIT_TOKEN")
    assert (stale.verdict, stale.kind, stale.new_name) == ("renamed", "env", "SHIPIT_API_TOKEN")


def test_a_removed_make_target_and_a_broken_anchor(project: GitRepo) -> None:
    project.commit(
        "retitle and drop build",
        {
            "Makefile": ".PHONY: dist\ndist:\n\tpython -m build\n",
            "docs/guide.md": GUIDE.replace("# Shipping guide", "# Shipping"),
        },
    )
    stale = _check(project)
    # The doc was edited after the target went: not history, but still clearly ours.
    assert (_one(stale, "build").verdict, _one(stale, "build").kind) == ("missing", "make")
    assert _one(stale, "#shipping-guide").verdict == "missing"


def test_a_changed_signature_after_the_doc_was_written(project: GitRepo) -> None:
    change = project.commit(
        "connect by url", {"shipit/core.py": CORE.replace("host, port=5432", "url")}
    )
    stale = _one(_check(project), "connect")
    assert (stale.verdict, stale.severity, stale.evidence_commit) == ("changed", "info", change)


def test_a_review_after_the_change_clears_changed(project: GitRepo) -> None:
    project.commit("connect by url", {"shipit/core.py": CORE.replace("host, port=5432", "url")})
    # GitRepo commits are dated 2024-01-01; a review on 2024-02-01 comes after the change.
    reviewed = "---\nreviewed: 2024-02-01\n---\n" + GUIDE
    project.commit("unrelated", {"NOTES.txt": "x\n"})
    assert _one(_check(project), "connect").verdict == "changed"
    project.commit("review", {"docs/guide.md": reviewed})
    assert [s for s in _check(project) if s.verdict == "changed"] == []


def test_a_name_only_in_docs_or_comments_does_not_count(project: GitRepo) -> None:
    project.commit(
        "mention ghost",
        {
            "shipit/core.py": CORE + "\n# ghost() used to live here\n",
            "docs/other.md": "Use `shipit.core.ghost()`.\n",
            "docs/guide.md": GUIDE + "\nCall `shipit.core.ghost()` (never existed).\n",
        },
    )
    stale = stale_references_by_doc(check_docs(git.open_repo(project.path)))
    assert [s.verdict for s in stale["docs/guide.md"]] == ["missing"]
    assert [s.verdict for s in stale["docs/other.md"]] == ["missing"]


def test_reference_names_that_never_existed_are_not_guessed_at(project: GitRepo) -> None:
    project.commit(
        "prose",
        {"docs/notes.md": "Use `Widget` or `spin_up()` or `tests/data` or `OTHER_VAR`.\n"},
    )
    assert _check(project) == []


def test_changed_since_reports_only_what_the_change_touches(project: GitRepo) -> None:
    base = project.commit("a doc with a broken name", {"docs/old.md": "`shipit.core.nothing()`\n"})
    project.commit("rename", {"shipit/core.py": CORE.replace("load_config", "read_config")})
    stale = _check(project, changed_since=base)
    assert [s.reference for s in stale] == ["shipit.core.load_config"]
    assert {s.reference for s in _check(project)} == {
        "shipit.core.load_config",
        "shipit.core.nothing",
    }


def test_rst_docs_with_sphinx_roles(project: GitRepo) -> None:
    doc = "Guide\n=====\n\nSee :func:`shipit.core.load_config` and :class:`~shipit.core.Client`.\n"
    project.commit("rst", {"docs/api.rst": doc})
    project.commit("rename", {"shipit/core.py": CORE.replace("load_config", "read_config")})
    stale = stale_references_by_doc(check_docs(git.open_repo(project.path)))["docs/api.rst"]
    assert [(s.line, s.verdict, s.new_name) for s in stale] == [
        (4, "renamed", "shipit.core.read_config")
    ]


def test_cli_json_and_exit_codes(project: GitRepo, handrail: Callable[..., object]) -> None:
    clean = handrail("--repo", project.path, "docs", "check", "--format", "json")
    assert (clean.code, clean.json["stale"]) == (0, [])  # type: ignore[attr-defined]
    project.commit("delete", {"scripts/release.sh": None})
    result = handrail("--repo", project.path, "docs", "check", "--format", "json")
    assert result.code == 1  # type: ignore[attr-defined]
    entry = result.json["stale"][0]  # type: ignore[attr-defined]
    expected = {"doc", "line", "reference", "kind", "verdict", "reason", "evidence_commit"}
    assert expected <= set(entry)
    assert (entry["doc"], entry["verdict"]) == ("docs/guide.md", "removed")
    comment = handrail("--repo", project.path, "docs", "check", "--format", "markdown")
    assert "| `docs/guide.md:9` | `scripts/release.sh` (path) | removed |" in comment.out  # type: ignore[attr-defined]


def test_cli_errors_name_the_file(project: GitRepo, handrail: Callable[..., object]) -> None:
    missing = handrail("--repo", project.path, "docs", "check", "docs/nope.md")
    assert missing.code == 2 and "docs/nope.md" in missing.err  # type: ignore[attr-defined]
    project.write("handrail.toml", "[docs]\nrootz = []\n")
    project.commit("bad config", {"handrail.toml": "[docs]\nrootz = []\n"})
    bad = handrail("--repo", project.path, "docs", "check")
    assert bad.code == 2 and "docs.rootz" in bad.err  # type: ignore[attr-defined]


def test_settings_ignore_and_external(project: GitRepo) -> None:
    project.commit("rename", {"shipit/core.py": CORE.replace("load_config", "read_config")})
    config = '[docs]\nignore = ["docs/guide.md"]\n'
    project.commit("ignore the guide", {"handrail.toml": config})
    from handrail.config import load_config

    repo = git.open_repo(project.path)
    assert check_docs(repo, settings=load_config(repo).docs).stale == []
    external = '[docs]\nexternal = ["shipit.core."]\n'
    project.commit("external", {"handrail.toml": external})
    assert check_docs(repo, settings=load_config(repo).docs).stale == []


def test_freshness_scores_and_a_warm_cache(project: GitRepo, tmp_path: Path) -> None:
    project.commit("delete", {"scripts/release.sh": None})
    repo = git.open_repo(project.path)
    first = check_docs(repo)
    caches = sorted((repo.git_dir / "handrail" / "docs").glob("*.msgpack"))
    kinds = [p.name.split("-")[0] for p in caches]
    assert kinds == ["documents", "mentions", "reports", "symbols"]
    second = check_docs(repo)
    assert first.stale == second.stale and first.documents == second.documents
    (score,) = [d.score for d in second.documents if d.doc == "docs/guide.md"]
    assert 0 < score < 1
    # The remembered report is the commit's: a new commit is judged afresh.
    project.commit("restore", {"scripts/release.sh": "#!/bin/sh\necho release\n"})
    third = check_docs(repo)
    assert {s.reference for s in third.stale} < {s.reference for s in first.stale}
    # And so is a narrower selection of docs.
    assert {s.doc for s in check_docs(repo, ["docs/guide.md"]).stale} <= {"docs/guide.md"}


def test_path_versions_name_each_commit_and_the_blob_it_left(repo: GitRepo) -> None:
    base = repo.commit("base", {"a.py": "x = 1\n"})
    edited = repo.commit("edit", {"a.py": "x = 2\n"})
    repo.commit("elsewhere", {"b.py": "y = 1\n"})
    deleted = repo.commit("delete", {"a.py": None})
    versions = git.path_versions(git.open_repo(repo.path), base, "HEAD", "a.py")
    assert versions == [(edited, repo.git("rev-parse", f"{edited}:a.py")), (deleted, None)]


def test_a_python_script_without_a_suffix_defines_its_flags(repo: GitRepo) -> None:
    tool = (
        "#!/usr/bin/env python3\nimport argparse\n\n"
        'parser = argparse.ArgumentParser()\nparser.add_argument("--seed", type=int)\n'
    )
    shell = "#!/bin/sh\n# --retries is mentioned here, defined nowhere\n"
    repo.commit("tools", {"bin/tool": tool, "bin/other": shell, "README.md": "# Tools\n"})
    doc = "# Testing\n\nRun `bin/tool --seed 3`, or `bin/tool --retries 2`.\n"
    repo.commit("doc", {"docs/testing.md": doc})
    stale = check_docs(git.open_repo(repo.path)).stale
    assert [(s.reference, s.verdict) for s in stale] == [("--retries", "missing")]
