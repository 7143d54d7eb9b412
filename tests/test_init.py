"""`handrail init`: a starter handrail.toml that is inferred, commented and valid."""

from __future__ import annotations

import tomllib

from gitrepo import GitRepo
from handrail.config import parse_config


def layout_repo(repo: GitRepo) -> None:
    repo.commit(
        "start",
        {
            "src/shop/app.py": "x\n",
            "src/shop/db.py": "y\n",
            "services/cart/main.go": "z\n",
            "docs/index.md": "# hi\n",
            ".github/CODEOWNERS": "/services/cart/ @acme/cart\n",
        },
        author=("Ann Lee", "ann@x.example"),
    )
    repo.commit("more", {"src/shop/app.py": "x2\n"}, author=("Ann Lee", "ann@y.example"))
    repo.commit("cart", {"services/cart/main.go": "z2\n"}, author=("Bo Chan", "bo@x.example"))


def test_init_writes_a_valid_commented_file(repo: GitRepo, handrail) -> None:
    layout_repo(repo)
    result = handrail("--repo", repo.path, "init")
    assert result.code == 0, result.err
    text = (repo.path / "handrail.toml").read_text()
    assert "# placeholder: set 0 (most critical) ... 3" in text
    assert "# 2 commits, last on 2024-01-01" in text
    config = parse_config(text)
    components = {c.name: (c.paths, c.tier, c.owners) for c in config.component}
    assert components == {
        "cart": (["/services/cart/"], 2, ["@acme/cart"]),
        "docs": (["/docs/"], 3, []),
        "shop": (["/src/shop/"], 2, []),
    }
    ann = next(p for p in config.person if p.id == "ann-lee")
    assert ann.emails == ["ann@x.example", "ann@y.example"] and ann.seniority == "mid"


def test_init_refuses_to_overwrite_and_force_replaces(repo: GitRepo, handrail) -> None:
    layout_repo(repo)
    (repo.path / "handrail.toml").write_text("# mine\n")
    refused = handrail("--repo", repo.path, "init")
    assert refused.code == 2 and "already exists; use --force" in refused.err
    assert (repo.path / "handrail.toml").read_text() == "# mine\n"
    assert handrail("--repo", repo.path, "init", "--force").code == 0
    assert "[[component]]" in (repo.path / "handrail.toml").read_text()


def test_init_stdout_and_bare_repositories(make_repo, repo: GitRepo, handrail) -> None:
    layout_repo(repo)
    bare = make_repo("bare.git", bare=True)
    repo.git("push", "-q", str(bare.path), "main")
    refused = handrail("--repo", bare.path, "init")
    assert refused.code == 2 and "use --stdout" in refused.err
    printed = handrail("--repo", bare.path, "init", "--stdout", "--people", "1")
    assert printed.code == 0
    data = tomllib.loads(printed.out)
    assert [p["id"] for p in data["person"]] == ["ann-lee"]
    assert "1 less active people left out" in printed.out


def test_init_on_a_flat_repository_makes_one_component(repo: GitRepo, handrail) -> None:
    repo.commit("flat", {"main.py": "print()\n"})
    printed = handrail("--repo", repo.path, "init", "--stdout")
    (component,) = tomllib.loads(printed.out)["component"]
    assert component["paths"] == ["*"]
