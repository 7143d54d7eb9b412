"""The JavaScript/TypeScript import graph: tree-sitter over real repositories."""

from __future__ import annotations

import json

import pytest

from gitrepo import GitRepo
from handrail import git
from handrail.blast.imports import component_dependents, import_graph
from handrail.blast.javascript_imports import JavaScriptImports
from handrail.catalog import build_catalog
from handrail.config import parse_config

PAYMENTS_MANIFEST = json.dumps({"name": "@shop/payments", "exports": {".": "./src/index.ts"}})

# A TypeScript monorepo: a workspace library, a service importing it by package name, and the
# ways code names other files.
MONOREPO = {
    "package.json": json.dumps({"name": "shop", "private": True, "workspaces": ["packages/*"]}),
    "packages/payments/package.json": PAYMENTS_MANIFEST,
    "packages/payments/src/index.ts": "export { pay } from './pay';\nexport * from './money.js';\n",
    "packages/payments/src/pay.ts": "import { cents } from './money';\n"
    "export const pay = (x: number) => cents(x);\n",
    "packages/payments/src/money.ts": "export const cents = (x: number) => Math.round(x * 100);\n",
    "packages/payments/src/types.ts": "export interface Card { n: string }\n",
    "services/checkout/app.tsx": "import React from 'react';\n"
    "import { pay } from '@shop/payments';\n"
    "import type { Card } from '@shop/payments/src/types';\n"
    "import './styles';\n"
    "export const App = () => <button onClick={() => pay(1)}>Pay</button>;\n",
    "services/checkout/styles/index.js": "module.exports = {};\n",
    "services/checkout/legacy.js": "const money = require('../../packages/payments/src/money');\n"
    "async function later() { return import('./app'); }\n",
    "services/checkout/broken.ts": "import { pay } from '@shop/payments';\nexport const = ;\n",
}

INDEX = "packages/payments/src/index.ts"
PAY = "packages/payments/src/pay.ts"
MONEY = "packages/payments/src/money.ts"
APP = "services/checkout/app.tsx"

EXPECTED = {
    (INDEX, PAY),  # export … from, without an extension
    (INDEX, MONEY),  # a TypeScript file imported under its compiled name
    (PAY, MONEY),
    (APP, INDEX),  # a workspace package by name: its "exports" entry
    (APP, "services/checkout/styles/index.js"),  # a bare side-effect import of a folder
    ("services/checkout/legacy.js", MONEY),  # require
    ("services/checkout/legacy.js", APP),  # dynamic import
    ("services/checkout/broken.ts", INDEX),  # read up to the syntax error
}


@pytest.fixture
def monorepo(repo: GitRepo) -> GitRepo:
    repo.commit("monorepo", MONOREPO)
    return repo


def graph(repo: GitRepo, rev: str = "HEAD", near: str | None = None):
    return import_graph(git.open_repo(repo.path), rev, [JavaScriptImports()], near=near)


def test_imports_requires_and_exports_resolve_to_files(monorepo: GitRepo) -> None:
    found = graph(monorepo)
    # Not there: `import type` (erased at run time) and 'react' (a package from outside).
    assert found.edges == EXPECTED
    [broken] = found.unparsed
    assert broken.path == "services/checkout/broken.ts"
    assert broken.reason.startswith("syntax error at line 2")


def test_a_library_change_reaches_the_service_that_imports_it(monorepo: GitRepo) -> None:
    config = parse_config(
        '[[component]]\nname = "payments"\npaths = ["packages/payments/"]\ntier = 1\n'
        '[[component]]\nname = "checkout"\npaths = ["services/checkout/"]\ntier = 0\n'
    )
    catalog = build_catalog(config, list(MONOREPO), lambda path: None)
    [reached] = component_dependents(catalog, graph(monorepo).edges, [MONEY])
    assert (reached.component.name, reached.tier) == ("checkout", 0)
    assert reached.explanation == (
        "services/checkout/legacy.js imports packages/payments/src/money.ts"
    )


def test_the_main_field_and_a_folder_index_are_entries(repo: GitRepo) -> None:
    repo.commit(
        "two packages",
        {
            "libs/a/package.json": json.dumps({"name": "a", "main": "lib/main.js"}),
            "libs/a/lib/main.js": "exports.x = 1;\n",
            "libs/b/package.json": json.dumps({"name": "b"}),
            "libs/b/index.mjs": "import { x } from 'a';\nexport const y = x;\n",
            "app.mjs": "import { y } from 'b';\nimport { z } from 'b/extra.mjs';\n",
            "libs/b/extra.mjs": "export const z = 1;\n",
        },
    )
    assert graph(repo).edges == {
        ("libs/b/index.mjs", "libs/a/lib/main.js"),
        ("app.mjs", "libs/b/index.mjs"),
        ("app.mjs", "libs/b/extra.mjs"),
    }


# (the change's files) — each derived graph must equal one built from scratch
CHANGES = {
    "an import changes": {PAY: "export const pay = (x: number) => x;\n"},
    # styles.ts now wins over styles/index.js for app.tsx's unchanged `import './styles'`.
    "a new file takes over a folder's index": {"services/checkout/styles.ts": "export {};\n"},
    "an imported file is deleted": {MONEY: None},
    "a package's entry point moves": {
        "packages/payments/package.json": json.dumps({"name": "@shop/payments", "main": "pay"}),
        "packages/payments/pay.ts": "export const pay = 1;\n",
    },
}


@pytest.mark.parametrize("files", CHANGES.values(), ids=CHANGES.keys())
def test_a_derived_graph_equals_one_built_from_scratch(monorepo: GitRepo, make_repo, files) -> None:
    base = monorepo.head()
    graph(monorepo, base)
    monorepo.commit("the change", files)
    derived = graph(monorepo, "HEAD", near=base)
    clone = make_repo("clone")
    clone.git("pull", "-q", str(monorepo.path), "main")
    scratch = graph(clone)
    assert derived == scratch
