"""The import graph: grimp over real repositories, the tree-keyed cache, and the queries."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from gitrepo import GitRepo
from handrail import git
from handrail.blast.imports import (
    ImportGraph,
    UnparsedFile,
    cache_folder,
    component_dependents,
    dependents,
    import_graph,
)
from handrail.blast.python_imports import PythonImports, PythonPackage, find_packages
from handrail.catalog import build_catalog
from handrail.config import parse_config
from handrail.errors import HandrailError

CONFIG = """
[[component]]
name = "payments"
paths = ["libs/payments/"]
tier = 1

[[component]]
name = "checkout"
paths = ["services/checkout/"]
tier = 0

[[component]]
name = "billing"
paths = ["services/billing/"]
tier = 2

[[component]]
name = "reports"
paths = ["services/reports/"]
tier = 1

[[component]]
name = "common"
paths = ["src/common/"]
tier = 3
"""

# A monorepo: a library with a src/ layout under libs/, two services that both call their
# package `app`, a src/ layout package at the root, and a script outside any package.
MONOREPO = {
    "handrail.toml": CONFIG,
    "libs/payments/payments/__init__.py": "",
    "libs/payments/payments/api.py": "from .core import charge\n\n\ndef pay(x):\n"
    "    return charge(x)\n",
    "libs/payments/payments/core.py": "from common import money\n\n\ndef charge(x):\n"
    "    return money.cents(x)\n",
    "src/common/__init__.py": "",
    "src/common/money.py": "def cents(x):\n    return int(x * 100)\n",
    "src/common/a.py": "from common import b\n",
    "src/common/b.py": "from common import a\n",
    "services/checkout/app/__init__.py": "",
    "services/checkout/app/views.py": "from payments.api import pay\n",
    "services/checkout/app/hints.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
    "    from payments import core\n",
    "services/billing/app/__init__.py": "",
    "services/billing/app/jobs.py": "def run():\n    import payments.core\n\n"
    "    return payments.core\n",
    "services/billing/app/broken.py": "import payments.api\n\ndef oops(:\n",
    "services/reports/reports/__init__.py": "from common import b\n",
    "tools/charge.py": "import payments.api\n",
}

API = "libs/payments/payments/api.py"
CORE = "libs/payments/payments/core.py"
MONEY = "src/common/money.py"
VIEWS = "services/checkout/app/views.py"
JOBS = "services/billing/app/jobs.py"
REPORTS = "services/reports/reports/__init__.py"

EXPECTED_EDGES = {
    (API, CORE),  # relative import
    (CORE, MONEY),  # from a package import a module, across packages
    ("src/common/a.py", "src/common/b.py"),  # a cycle
    ("src/common/b.py", "src/common/a.py"),
    (VIEWS, API),  # from a module import a name
    (JOBS, CORE),  # inside a function
    (REPORTS, "src/common/b.py"),
}


class CountingPython(PythonImports):
    """The real backend, counting how often it has to read a tree."""

    def __init__(self) -> None:
        self.builds = 0

    def edges(self, files: Mapping[str, bytes]) -> ImportGraph:
        self.builds += 1
        return super().edges(files)


@pytest.fixture
def monorepo(repo: GitRepo) -> GitRepo:
    repo.commit("monorepo", MONOREPO)
    return repo


def graph_of(repo: GitRepo, rev: str = "HEAD", backend: PythonImports | None = None):
    return import_graph(git.open_repo(repo.path), rev, [backend or PythonImports()])


def catalog():
    return build_catalog(parse_config(CONFIG), list(MONOREPO), lambda path: None)


def test_edges_of_a_monorepo_are_file_to_file(monorepo: GitRepo) -> None:
    graph = graph_of(monorepo)
    # Not there: the TYPE_CHECKING import, the file with a syntax error, the script.
    assert graph.edges == EXPECTED_EDGES
    assert graph.unparsed == (
        UnparsedFile("services/billing/app/broken.py", "syntax error at line 3"),
    )


def test_dependents_come_with_the_shortest_chain(monorepo: GitRepo) -> None:
    found = dependents(graph_of(monorepo).edges, [CORE])
    assert found == {
        API: [API, CORE],
        JOBS: [JOBS, CORE],
        VIEWS: [VIEWS, API, CORE],
    }
    assert list(found)[-1] == VIEWS  # nearest first


def test_a_library_change_reaches_the_tier_0_service_that_imports_it(monorepo: GitRepo) -> None:
    reached = component_dependents(catalog(), graph_of(monorepo).edges, [CORE])
    assert [(d.component.name, d.tier, d.chain) for d in reached] == [
        ("billing", 2, (JOBS, CORE)),
        ("checkout", 0, (VIEWS, API, CORE)),
    ]
    assert reached[1].explanation == f"{VIEWS} imports {API}, which imports {CORE}"
    assert reached[0].explanation == f"{JOBS} imports {CORE}"


def test_changed_components_are_not_their_own_dependents(monorepo: GitRepo) -> None:
    reached = component_dependents(catalog(), graph_of(monorepo).edges, [MONEY, API])
    # payments is changed (api.py) although core.py also reaches it through money.py.
    assert {d.component.name: d.chain for d in reached} == {
        "billing": (JOBS, CORE, MONEY),
        "checkout": (VIEWS, API),
    }


def test_dependents_through_a_cycle(monorepo: GitRepo) -> None:
    found = dependents(graph_of(monorepo).edges, ["src/common/a.py"])
    assert found == {
        "src/common/b.py": ["src/common/b.py", "src/common/a.py"],
        REPORTS: [REPORTS, "src/common/b.py", "src/common/a.py"],
    }


def test_dependents_of_files_nobody_imports() -> None:
    edges = {("a.py", "b.py"), ("b.py", "c.py")}
    assert dependents(edges, ["a.py", "README.md"]) == {}
    # b.py is changed too, so it is no dependent of c.py: a.py is reached through it.
    assert dependents(edges, ["c.py", "b.py"]) == {"a.py": ["a.py", "b.py"]}


def test_find_packages_at_the_root_under_src_and_deep_in_a_monorepo() -> None:
    files = [
        "__init__.py",  # a root __init__.py names nothing importable
        "top/__init__.py",
        "top/sub/__init__.py",  # a subpackage, not a top-level one
        "src/lib/__init__.py",
        "services/checkout/app/__init__.py",
        "my-tool/__init__.py",  # not an identifier: not importable
        "scripts/run.py",
    ]
    assert find_packages(files) == [
        PythonPackage("app", "services/checkout/app"),
        PythonPackage("lib", "src/lib"),
        PythonPackage("top", "top"),
    ]


def test_the_cache_answers_the_same_tree_without_reading_it(monorepo: GitRepo) -> None:
    backend = CountingPython()
    first = graph_of(monorepo, backend=backend)
    monorepo.commit("nothing changes", {})  # a new commit, the same tree
    second = graph_of(monorepo, backend=backend)
    assert backend.builds == 1
    assert second == first
    repo = git.open_repo(monorepo.path)
    [entry] = cache_folder(repo).iterdir()
    assert entry.name.endswith(f"{git.tree_id(repo, 'HEAD')}.json")
    assert entry.parent == repo.git_dir / "handrail" / "imports"


def test_a_new_tree_is_read_again(monorepo: GitRepo) -> None:
    backend = CountingPython()
    graph_of(monorepo, backend=backend)
    monorepo.commit("reports use money", {REPORTS: "from common import money\n"})
    graph = graph_of(monorepo, backend=backend)
    assert backend.builds == 2
    assert (REPORTS, MONEY) in graph.edges
    assert (REPORTS, "src/common/b.py") not in graph.edges
    # The older tree's entry still answers for the older commit.
    assert graph_of(monorepo, "HEAD~1", backend).edges == EXPECTED_EDGES
    assert backend.builds == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: b"",
        lambda raw: raw[: len(raw) // 2],
        lambda raw: b"\x00garbage",
        lambda raw: raw.replace(b'"imports":[[', b'"imports":[[999,'),  # index out of range
        lambda raw: raw.replace(b'"imports":[[', b'"imports":[[-1,'),
        lambda raw: raw.replace(b'"files":[', b'"files":["extra",'),  # lists out of step
    ],
)
def test_a_damaged_cache_entry_is_rebuilt(monorepo: GitRepo, damage) -> None:
    backend = CountingPython()
    expected = graph_of(monorepo, backend=backend)
    [entry] = cache_folder(git.open_repo(monorepo.path)).iterdir()
    damaged = damage(entry.read_bytes())
    assert damaged != entry.read_bytes()
    entry.write_bytes(damaged)
    assert graph_of(monorepo, backend=backend) == expected
    assert backend.builds == 2
    assert graph_of(monorepo, backend=backend) == expected  # the rewritten entry is good
    assert backend.builds == 2
    assert not [p for p in entry.parent.iterdir() if p != entry]  # no temporary files left


@pytest.mark.parametrize("failing", ["tempfile.mkstemp", "pathlib.Path.replace"])
def test_a_cache_that_cannot_be_written_still_gives_the_graph(
    monorepo: GitRepo, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(failing, no_space)
    assert graph_of(monorepo).edges == EXPECTED_EDGES
    folder = cache_folder(git.open_repo(monorepo.path))
    assert not (folder.exists() and list(folder.iterdir()))  # neither an entry nor half of one


def test_a_bare_repository(monorepo: GitRepo, make_repo) -> None:
    bare = make_repo("bare.git", bare=True)
    monorepo.git("push", "-q", str(bare.path), "main")
    repo = git.open_repo(bare.path)
    assert repo.is_bare
    assert import_graph(repo).edges == EXPECTED_EDGES
    assert list(cache_folder(repo).iterdir())
    assert cache_folder(repo).is_relative_to(bare.path)


def test_the_graph_is_the_commits_not_the_work_trees(monorepo: GitRepo) -> None:
    monorepo.write(VIEWS, "import common.money\n")  # uncommitted
    monorepo.write("services/checkout/app/new.py", "import payments.api\n")  # untracked
    graph = graph_of(monorepo)
    assert graph.edges == EXPECTED_EDGES
    status = [line.strip() for line in monorepo.git("status", "--porcelain").splitlines()]
    assert sorted(status) == ["?? services/checkout/app/new.py", f"M {VIEWS}"]


def test_an_older_revision_has_its_own_graph(monorepo: GitRepo) -> None:
    monorepo.commit("checkout reports", {VIEWS: "import reports\nfrom payments.api import pay\n"})
    assert (VIEWS, REPORTS) in graph_of(monorepo).edges
    assert graph_of(monorepo, "HEAD~1").edges == EXPECTED_EDGES


def test_a_package_named_like_one_already_imported_is_read_from_the_commit(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # handrail, grimp and pytest are imported in this very process.
    repo.commit(
        "same names",
        {
            "src/handrail/__init__.py": "",
            "src/handrail/cli.py": "from handrail import engine\n",
            "src/handrail/engine.py": "",
            "grimp/__init__.py": "import pytest\n",
            "pytest/__init__.py": "",
        },
    )
    monkeypatch.chdir(tmp_path)
    path_before = list(sys.path)
    assert graph_of(repo).edges == {
        ("src/handrail/cli.py", "src/handrail/engine.py"),
        ("grimp/__init__.py", "pytest/__init__.py"),
    }
    assert sys.path == path_before
    assert not (tmp_path / ".grimp_cache").exists()  # grimp's own cache stays off


def test_grimp_is_left_as_it_was_found(monorepo: GitRepo) -> None:
    from grimp.application.config import settings

    finder = settings.PACKAGE_FINDER
    monorepo.commit("break the build", {"src/common/a.py": "def (\n"})
    graph_of(monorepo)
    assert settings.PACKAGE_FINDER is finder


def test_a_file_that_is_not_text_is_reported_not_fatal(repo: GitRepo) -> None:
    repo.commit(
        "encodings",
        {
            "pkg/__init__.py": "",
            "pkg/latin.py": "# -*- coding: latin-1 -*-\nimport pkg.ok\ns = '\xe9'\n".encode(
                "latin-1"
            ),
            "pkg/binary.py": b"import pkg.ok\ns = '\xff\xfe'\n",
            "pkg/ok.py": "",
            "pkg/user.py": "from pkg import binary\n",
        },
    )
    graph = graph_of(repo)
    assert graph.edges == {("pkg/latin.py", "pkg/ok.py"), ("pkg/user.py", "pkg/binary.py")}
    [unparsed] = graph.unparsed
    assert unparsed.path == "pkg/binary.py"
    assert "utf-8" in unparsed.reason


def test_several_backends_are_merged_and_cached_apart(monorepo: GitRepo) -> None:
    class Docs:
        name = "docs"
        version = "1"

        def handles(self, path: str) -> bool:
            return path.endswith(".toml")

        def edges(self, files: Mapping[str, bytes]) -> ImportGraph:
            assert files == {"handrail.toml": CONFIG.encode()}
            return ImportGraph(frozenset({("handrail.toml", API)}))

        def stand_ins(self, path: str) -> list[str]:
            return []

        def rebuilds_on(self, path: str, added_or_removed: bool) -> bool:
            return False

    repo = git.open_repo(monorepo.path)
    graph = import_graph(repo, "HEAD", [PythonImports(), Docs()])
    assert graph.edges == EXPECTED_EDGES | {("handrail.toml", API)}
    assert len(graph.unparsed) == 1
    assert len(list(cache_folder(repo).iterdir())) == 2


def test_a_repository_without_python(repo: GitRepo) -> None:
    repo.commit("docs", {"README.md": "# hello\n"})
    assert graph_of(repo) == ImportGraph(frozenset())


def test_an_unknown_revision_is_a_user_error(monorepo: GitRepo) -> None:
    with pytest.raises(HandrailError, match="unknown revision 'no-such-branch'"):
        graph_of(monorepo, "no-such-branch")


# -- a head's graph derived from its base's --------------------------------------------------

# (what the base adds first, the change's files, the change's renames)
CHANGES = {
    "a file's imports change": ({}, {REPORTS: "from common import money\n"}, None),
    "a file gains a syntax error": ({}, {MONEY: "def (\n"}, None),
    "a broken file is fixed": (
        {},
        {"services/billing/app/broken.py": "import payments.core\n"},
        None,
    ),
    # views.py is unchanged, but `from payments import api2` now names a module of its own.
    "a new module takes over a name": (
        {VIEWS: "from payments import api2\n", "libs/payments/payments/__init__.py": "api2 = 1\n"},
        {"libs/payments/payments/api2.py": "from .core import charge\n"},
        None,
    ),
    "an imported module is deleted": ({}, {MONEY: None}, None),
    "an imported module is renamed": ({}, {}, {MONEY: "src/common/cash.py"}),
    "a package appears": (
        {},
        {"src/common/sub/__init__.py": "", "src/common/sub/x.py": "from common import a\n"},
        None,
    ),
    # scripts/ held loose files; an __init__.py makes them a package whose imports now count.
    "a folder of scripts becomes a package": (
        {"scripts/run.py": "from common import money\n"},
        {"scripts/__init__.py": ""},
        None,
    ),
}


@pytest.mark.parametrize(("setup", "files", "renames"), CHANGES.values(), ids=CHANGES.keys())
def test_a_heads_graph_derived_from_its_bases_equals_one_built_from_scratch(
    monorepo: GitRepo, make_repo, setup, files, renames
) -> None:
    if setup:
        monorepo.commit("base", setup)
    base = monorepo.git("rev-parse", "HEAD").strip()
    monorepo.commit("the change", files, renames=renames)
    repo = git.open_repo(monorepo.path)
    import_graph(repo, base)  # the base's graph is cached, as after a run on main
    backend = CountingPython()
    derived = import_graph(repo, "HEAD", [backend], near=base)
    # Built from scratch in a second clone, which has no cache to derive from.
    clone = make_repo("clone")
    clone.git("pull", "-q", str(monorepo.path), "main")
    assert derived == import_graph(git.open_repo(clone.path), "HEAD")
    assert backend.builds == 1


def test_a_derived_graph_reads_only_the_files_that_can_differ(
    monorepo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = git.open_repo(monorepo.path)
    import_graph(repo, "HEAD")
    base = monorepo.git("rev-parse", "HEAD").strip()
    monorepo.commit("reports use money", {REPORTS: "from common import money\n"})
    read: list[str] = []
    real = git.read_blobs

    def counting(repo_info, blob_ids):
        ids = list(blob_ids)
        read.extend(ids)
        return real(repo_info, ids)

    monkeypatch.setattr(git, "read_blobs", counting)
    graph = import_graph(repo, "HEAD", near=base)
    assert read == [monorepo.git("rev-parse", f"HEAD:{REPORTS}").strip()]
    assert (REPORTS, MONEY) in graph.edges
