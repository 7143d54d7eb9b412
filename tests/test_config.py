"""handrail.toml: what is valid, and errors that name the line or field at fault."""

from __future__ import annotations

import pytest

from gitrepo import GitRepo
from handrail.config import parse_config
from handrail.errors import HandrailError

VALID = """
[[component]]
name = "checkout"
paths = ["services/checkout/**", "/libs/payments/"]
tier = 0
owners = ["@shop/checkout-team", "ana"]

[[person]]
id = "ana"
emails = ["ana@shop.example"]
seniority = "senior"
status = "active"
teams = ["checkout-team"]

[[person]]
id = "ben"
emails = ["ben@shop.example"]
status = "departed"

[policy]
"""


def test_valid_configuration_and_defaults() -> None:
    config = parse_config(VALID)
    (component,) = config.component
    assert (component.name, component.tier) == ("checkout", 0)
    assert component.owners == ["@shop/checkout-team", "ana"]
    ana, ben = config.person
    assert (ana.seniority, ben.seniority, ben.status) == ("senior", "mid", "departed")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[component]\nname = 1", r"handrail.toml: invalid TOML: .*line 1"),
        (
            '[[component]]\nname = "a"\npaths = ["x"]\ntier = 5',
            r"component\[1\] \('a'\)\.tier: Expected `int` <= 3 \(got 5\)",
        ),
        (
            '[[component]]\nname = "a"\npaths = ["x"]',
            r"component\[1\] \('a'\)\.tier: required key is missing",
        ),
        (
            '[[component]]\nname = "a"\npaths = []\ntier = 1',
            r"component\[1\] \('a'\)\.paths: Expected `array` of length >= 1 \(got \[\]\)",
        ),
        (
            '[[person]]\nid = "x"\nseniority = "guru"',
            r"person\[1\] \('x'\)\.seniority: "
            r"must be one of 'junior', 'mid', 'senior', 'principal' \(got 'guru'\)",
        ),
        ('[[person]]\nid = "x"\nemail = "x@y"', r"person\[1\] \('x'\)\.email: unknown key"),
        ('[[person]]\nid = "x"\n[[person]]\nid = "x"', r"person: person id 'x' appears twice"),
        (
            '[[person]]\nid = "a"\nemails=["A@x"]\n[[person]]\nid = "b"\nemails=["a@x"]',
            r"person e-mail 'a@x' appears twice",
        ),
        ("[policy]\nfoo = 1", r"policy\.foo: unknown key"),
        (
            '[[component]]\nname = "a"\npaths = ["!"]\ntier = 1',
            r"'!' is not a valid git-style glob",
        ),
    ],
)
def test_invalid_configuration_names_the_field(text: str, message: str) -> None:
    with pytest.raises(HandrailError, match=message):
        parse_config(text)


def test_cli_reports_a_bad_config_in_one_line_with_exit_2(repo: GitRepo, handrail) -> None:
    repo.write("handrail.toml", '[[component]]\nname = "api"\npaths = ["api/"]\ntier = "high"\n')
    result = handrail("--repo", repo.path, "config")
    assert result.code == 2
    assert result.out == ""
    assert result.err.strip().splitlines() == [
        "handrail: error: handrail.toml: component[1] ('api').tier: Expected `int`, got `str`"
        " ('high')"
    ]


def test_cli_reports_undecodable_config(repo: GitRepo, handrail) -> None:
    repo.write("handrail.toml", b"name = '\xff'\n")
    result = handrail("--repo", repo.path, "config")
    assert result.code == 2 and "handrail.toml: not UTF-8 text (byte 8)" in result.err


def test_config_is_read_from_head_in_a_bare_repository(make_repo, repo: GitRepo, handrail) -> None:
    repo.commit("config", {"handrail.toml": VALID})
    bare = make_repo("bare.git", bare=True)
    repo.git("push", "-q", str(bare.path), "main")
    result = handrail("--repo", bare.path, "config", "--format", "json")
    assert result.code == 0, result.err
    assert [c["name"] for c in result.json["components"]] == ["checkout"]
