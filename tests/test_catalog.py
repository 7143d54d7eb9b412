"""Components and owners from handrail.toml, CODEOWNERS (GitHub and GitLab) and Backstage."""

from __future__ import annotations

import pytest

from gitrepo import GitRepo
from handrail.catalog import (
    build_catalog,
    components_from_backstage,
    directories_from_layout,
    parse_codeowners,
)
from handrail.config import parse_config
from handrail.errors import HandrailError

CODEOWNERS = """\
# Default owners
*                   @acme/platform
/services/checkout/ @acme/checkout ana@acme.example
*.sql               @acme/dba
docs/**             @acme/writers
"""

BACKSTAGE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api
  annotations:
    handrail.dev/tier: "0"
spec:
  type: service
  owner: group:checkout
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: checkout-openapi
"""


def files_reader(files: dict[str, str]):
    return lambda path: files[path].encode() if path in files else None


def test_codeowners_last_matching_rule_wins() -> None:
    files = {".github/CODEOWNERS": CODEOWNERS}
    catalog = build_catalog(parse_config(""), list(files), files_reader(files))
    assert catalog.codeowners_file == ".github/CODEOWNERS"
    assert catalog.codeowners_of("services/checkout/app.py") == (
        "@acme/checkout",
        "ana@acme.example",
    )
    assert catalog.codeowners_of("services/checkout/schema.sql") == ("@acme/dba",)
    assert catalog.codeowners_of("README.md") == ("@acme/platform",)
    assert [(r.pattern, r.line) for r in catalog.codeowners_rules][:2] == [
        ("*", 2),
        ("/services/checkout/", 3),
    ]


def test_codeowners_directory_rules_become_components_when_nothing_is_declared() -> None:
    files = {"CODEOWNERS": CODEOWNERS, "services/checkout/app.py": ""}
    catalog = build_catalog(parse_config(""), list(files), files_reader(files))
    (component,) = catalog.components
    assert component.name == "services-checkout" and component.tier is None
    assert component.source == "CODEOWNERS:3"
    assert component.covers("services/checkout/app.py")
    assert not component.covers("services/cart/app.py")


def test_gitlab_sections_are_read() -> None:
    _, rules = parse_codeowners(
        "[Database]\n*.sql @dba\n^[Docs]\ndocs/ @writers\n", ".gitlab/CODEOWNERS"
    )
    assert [(r.pattern, r.section, r.owners) for r in rules] == [
        ("*.sql", "Database", ("@dba",)),
        ("docs/", "Docs", ("@writers",)),
    ]


def test_github_location_comes_before_root_location() -> None:
    files = {".github/CODEOWNERS": "* @from-github\n", "CODEOWNERS": "* @from-root\n"}
    catalog = build_catalog(parse_config(""), list(files), files_reader(files))
    assert catalog.codeowners_of("x") == ("@from-github",)


def test_backstage_components_cover_their_directory() -> None:
    (component,) = components_from_backstage("services/checkout/catalog-info.yaml", BACKSTAGE)
    assert (component.name, component.tier, component.owners) == (
        "checkout-api",
        0,
        ("group:checkout",),
    )
    assert component.covers("services/checkout/api/main.py")
    assert not component.covers("services/cart/main.py")


def test_handrail_toml_wins_over_backstage_for_the_same_name() -> None:
    config = parse_config('[[component]]\nname = "checkout-api"\npaths = ["/x/"]\ntier = 1\n')
    files = {
        "svc/catalog-info.yaml": BACKSTAGE,
        "svc/other/catalog-info.yml": BACKSTAGE.replace("checkout-api", "other"),
    }
    catalog = build_catalog(config, list(files), files_reader(files))
    assert [(c.name, c.tier, c.source) for c in catalog.components] == [
        ("checkout-api", 1, "handrail.toml"),
        ("other", 0, "svc/other/catalog-info.yml"),
    ]
    assert [c.name for c in catalog.components_of("svc/other/main.py")] == ["other"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "kind: Component\nmetadata: a: b\n",
            r"^svc/catalog-info.yaml:2: invalid YAML: mapping values",
        ),
        ("kind: Component\nmetadata: {}\n", r"document 1: metadata.name is missing"),
        (
            "kind: Component\nmetadata:\n  name: x\n  annotations: {handrail.dev/tier: high}\n",
            r"metadata.annotations.handrail.dev/tier must be 0, 1, 2 or 3 \(got 'high'\)",
        ),
    ],
)
def test_bad_backstage_files_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(HandrailError, match=message):
        components_from_backstage("svc/catalog-info.yaml", text)


def test_layout_suggests_container_children_and_skips_hidden_and_vendored() -> None:
    files = [
        "src/shop/app.py",
        "src/shop/db.py",
        "src/README.md",
        "services/cart/main.go",
        "docs/index.md",
        ".github/workflows/ci.yml",
        "vendor/lib/x.c",
        "README.md",
    ]
    assert directories_from_layout(files) == ["docs", "services/cart", "src/shop"]


def test_config_command_lists_components_from_all_sources(repo: GitRepo, handrail) -> None:
    repo.commit(
        "layout",
        {
            "handrail.toml": '[[component]]\nname = "core"\npaths = ["/core/"]\ntier = 0\n'
            'owners = ["ana"]\n',
            "core/a.py": "x\n",
            "core/b.py": "y\n",
            "svc/catalog-info.yaml": BACKSTAGE,
            "svc/main.py": "z\n",
            "CODEOWNERS": "/core/ @acme/core\n",
        },
    )
    result = handrail("--repo", repo.path, "config", "--format", "json")
    assert result.code == 0, result.err
    assert [(c["name"], c["tier"], c["files"], c["source"]) for c in result.json["components"]] == [
        ("core", 0, 2, "handrail.toml"),
        ("checkout-api", 0, 2, "svc/catalog-info.yaml"),
    ]
    assert result.json["codeowners"] == {"file": "CODEOWNERS", "rules": 1}
