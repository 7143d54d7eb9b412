"""`handrail check` end to end: real repositories, real SQL, real plan JSON, real approvals."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitrepo import GitRepo, act_as, identity_env

PLANS = Path(__file__).parent / "fixtures" / "terraform_plans"
ANA = ("Ana Díaz", "ana@shop.example")  # senior, owns checkout and payments
BO = ("Bo Chan", "bo@shop.example")  # mid
DEE = ("Dee Ray", "dee@shop.example")  # senior, owns nothing
CONFIG = """
[[component]]
name = "checkout"
paths = ["/checkout/"]
tier = 0
owners = ["ana"]

[[component]]
name = "payments"
paths = ["/libs/payments/"]
tier = 1
owners = ["@shop/payments"]

[[component]]
name = "docs"
paths = ["/docs/"]
tier = 3

[[person]]
id = "ana"
emails = ["ana@shop.example"]
seniority = "senior"
teams = ["payments"]

[[person]]
id = "bo"
emails = ["bo@shop.example"]
seniority = "mid"

[[person]]
id = "dee"
emails = ["dee@shop.example"]
seniority = "senior"
"""
AI_TRAILER = [("Co-authored-by", "Claude Opus 4.7 <noreply@anthropic.com>")]


@pytest.fixture
def shop(repo: GitRepo) -> GitRepo:
    """A small monorepo: checkout (tier 0) imports the payments library (tier 1)."""
    repo.commit(
        "start",
        {
            "handrail.toml": CONFIG,
            "checkout/__init__.py": "from libs.payments import api\n",
            "libs/__init__.py": "",
            "libs/payments/__init__.py": "",
            "libs/payments/api.py": "def charge():\n    return 1\n",
            "docs/index.md": "# Shop\n",
            "migrations/V1__init.sql": "CREATE TABLE orders (id int);\n",
        },
        author=ANA,
    )
    repo.branch("feature")
    return repo


def approve(handrail, repo: GitRepo, who: tuple[str, str], monkeypatch) -> None:
    act_as(monkeypatch, who)
    assert handrail("--repo", repo.path, "approve").code == 0


def check(handrail, repo: GitRepo, *extra: str):
    return handrail("--repo", repo.path, "check", "--base", "main", "--format", "json", *extra)


def controls(result) -> dict:
    return {(c["rule"], c["component"]): c for c in result.json["required_controls"]}


def test_routine_change_passes_with_no_controls(shop: GitRepo, handrail) -> None:
    shop.commit("docs", {"docs/index.md": "# Shop\nMore.\n"}, author=BO, trailers=AI_TRAILER)
    result = check(handrail, shop)
    assert result.code == 0, result.err
    assert result.json["decision"] == "pass" and result.json["required_controls"] == []
    assert result.json["provenance"]["ai_assisted"] is True
    assert [c["name"] for c in result.json["blast_radius"]["components"]] == ["docs"]


def test_ai_change_reaching_tier0_needs_a_senior_owner(shop: GitRepo, handrail, monkeypatch):
    shop.commit(
        "fix",
        {"libs/payments/api.py": "def charge():\n    return 2\n"},
        author=BO,
        trailers=AI_TRAILER,
    )
    result = check(handrail, shop)
    assert result.code == 1 and result.json["decision"] == "needs_approval"
    data = result.json
    assert data["provenance"]["tools"] == ["Claude Code"]
    assert [(c["name"], c["tier"]) for c in data["blast_radius"]["dependents"]] == [("checkout", 0)]
    assert (
        "checkout/__init__.py imports libs/payments/api.py"
        in (data["blast_radius"]["dependents"][0]["via"])
    )
    found = controls(result)
    assert set(found) == {
        ("ai-critical-needs-senior-owner", "payments"),
        ("ai-critical-needs-senior-owner", "checkout"),
    }
    assert found[("ai-critical-needs-senior-owner", "checkout")]["eligible"] == ["ana"]

    approve(handrail, shop, DEE, monkeypatch)  # senior, but owns neither component
    assert check(handrail, shop).json["decision"] == "needs_approval"
    approve(handrail, shop, ANA, monkeypatch)
    passed = check(handrail, shop)
    assert passed.code == 0 and passed.json["decision"] == "pass"
    counted = {a["person"]: a["counts"] for a in passed.json["approvals"]}
    assert counted == {"dee": True, "ana": True}

    # A new commit makes every earlier approval stale.
    shop.commit("more", {"libs/payments/api.py": "def charge():\n    return 3\n"}, author=BO)
    stale = check(handrail, shop)
    assert stale.json["decision"] == "needs_approval"
    assert all(a["why"].startswith("stale") for a in stale.json["approvals"])


def test_the_authors_own_approval_does_not_count(shop: GitRepo, handrail, monkeypatch) -> None:
    shop.commit(
        "fix", {"checkout/__init__.py": "from libs.payments import api\nX = 1\n"}, author=ANA
    )
    approve(handrail, shop, ANA, monkeypatch)
    result = check(handrail, shop)
    assert result.json["decision"] == "needs_approval"
    (approval,) = result.json["approvals"]
    assert approval["why"] == "an author of the change cannot approve it"
    assert set(controls(result)) == {("tier0-needs-owner", "checkout")}


def test_destructive_migration_needs_two_people(shop: GitRepo, handrail, monkeypatch) -> None:
    shop.commit("drop", {"migrations/V2__drop.sql": "-- clean up\nDROP TABLE orders;\n"}, author=BO)
    result = check(handrail, shop)
    (finding,) = result.json["blast_radius"]["destructive"]
    assert (finding["source"], finding["line"], finding["severity"]) == (
        "migrations/V2__drop.sql",
        2,
        "destructive",
    )
    assert set(controls(result)) == {("destructive-needs-two-people", None)}
    approve(handrail, shop, DEE, monkeypatch)
    assert check(handrail, shop).json["decision"] == "needs_approval"
    approve(handrail, shop, ("Eve Ng", "eve@contractor.example"), monkeypatch)
    assert check(handrail, shop).json["decision"] == "pass"


def test_harmless_migration_needs_nothing(shop: GitRepo, handrail) -> None:
    shop.commit(
        "add", {"migrations/V2__add.sql": "ALTER TABLE orders ADD COLUMN note text;\n"}, author=BO
    )
    result = check(handrail, shop)
    assert result.json["decision"] == "pass"
    assert result.json["blast_radius"]["destructive"] == []


def test_a_plan_that_replaces_a_database(shop: GitRepo, handrail) -> None:
    shop.commit("infra", {"docs/infra.md": "bump\n"}, author=BO)
    plan = PLANS / "strata_danger_sample_rds_replace.plan.json"
    result = check(handrail, shop, "--plan", str(plan))
    assert result.json["decision"] == "needs_approval"
    destructive = result.json["blast_radius"]["destructive"]
    assert any(
        d["target"].startswith("aws_db_instance") and d["severity"] == "destructive"
        for d in destructive
    )
    assert ("destructive-needs-two-people", None) in controls(result)


@pytest.mark.parametrize(
    "name", ["strata_web_sample_NONSTANDARD_replace_action.plan.json", "missing.plan.json"]
)
def test_bad_plans_are_input_errors(shop: GitRepo, handrail, name: str) -> None:
    shop.commit("x", {"docs/x.md": "x\n"}, author=BO)
    result = check(handrail, shop, "--plan", str(PLANS / name))
    assert result.code == 2 and name in result.err and "Traceback" not in result.err


def test_the_base_policy_judges_a_change_that_weakens_it(shop: GitRepo, handrail) -> None:
    weakened = CONFIG.replace("tier = 0", "tier = 3") + "\n[policy]\ndefaults = false\n"
    shop.commit(
        "relax",
        {
            "handrail.toml": weakened,
            "checkout/__init__.py": "from libs.payments import api\nY = 2\n",
        },
        author=BO,
        trailers=AI_TRAILER,
    )
    result = check(handrail, shop)
    assert result.json["decision"] == "needs_approval"
    assert {rule for rule, _ in controls(result)} == {
        "ai-critical-needs-senior-owner",
        "tier0-needs-owner",
        "safeguards-need-senior",
    }
    assert result.json["blast_radius"]["safeguards"] == [
        {"path": "handrail.toml", "guards": "handrail policy"}
    ]


def test_ci_workflow_change_needs_a_senior(shop: GitRepo, handrail) -> None:
    shop.commit("ci", {".github/workflows/ci.yml": "on: push\n"}, author=BO)
    assert set(controls(check(handrail, shop))) == {("safeguards-need-senior", None)}


def test_errors_name_the_culprit(shop: GitRepo, handrail) -> None:
    unknown = handrail("--repo", shop.path, "check", "--base", "nope")
    assert unknown.code == 2 and "unknown revision 'nope'" in unknown.err
    shop.checkout("main")
    shop.commit("bad config", {"handrail.toml": "[[component]]\nname = 1\n"}, author=ANA)
    shop.checkout("feature")
    broken = handrail("--repo", shop.path, "check", "--base", "main")
    assert broken.code == 2 and "handrail.toml at " in broken.err and "component[1]" in broken.err


def test_markdown_and_sarif(shop: GitRepo, handrail) -> None:
    shop.commit("drop", {"migrations/V2__drop.sql": "DROP TABLE orders;\n"}, author=BO)
    markdown = handrail("--repo", shop.path, "check", "--base", "main", "--format", "markdown")
    assert markdown.code == 1
    assert markdown.out.startswith("### Handrail: this change needs approval")
    assert "| `destructive-needs-two-people` | the change | **no** |" in markdown.out
    sarif = handrail("--repo", shop.path, "check", "--base", "main", "--format", "sarif").json
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {
        "destructive-needs-two-people",
        "destructive-database",
    }
    location = next(r for r in results if r["ruleId"] == "destructive-database")["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "migrations/V2__drop.sql"
    assert handrail("--repo", shop.path, "history", "--format", "sarif").code == 2


def test_deleting_a_module_reaches_its_importers(shop: GitRepo, handrail) -> None:
    # Only the base revision's import graph still knows who imported the deleted file.
    shop.commit("remove", {"libs/payments/api.py": None}, author=BO, trailers=AI_TRAILER)
    result = check(handrail, shop)
    assert [d["name"] for d in result.json["blast_radius"]["dependents"]] == ["checkout"]
    assert ("ai-critical-needs-senior-owner", "checkout") in controls(result)


def test_text_report_reads_plainly(shop: GitRepo, handrail) -> None:
    shop.commit("notes", {"NOTES.txt": "x\n"}, author=BO)
    quiet = handrail("--repo", shop.path, "check", "--base", "main")
    assert quiet.code == 0
    assert "passes: no control is missing" in quiet.out
    assert "blast radius 0: nothing of note" in quiet.out
    shop.commit("drop", {"migrations/V2__drop.sql": "DROP TABLE orders;\n"}, author=BO)
    loud = handrail("--repo", shop.path, "check", "--base", "main")
    assert loud.code == 1 and "needs approval" in loud.out
    assert "destructive-needs-two-people" in loud.out


def test_signed_approvals_verify_and_tampering_is_caught(
    shop: GitRepo, handrail, monkeypatch, tmp_path: Path
) -> None:
    import json
    import subprocess

    key = tmp_path / "ana_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ana", "-f", str(key)], check=True
    )
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"ana@shop.example {key.with_suffix('.pub').read_text()}")
    for setting, value in (
        ("gpg.format", "ssh"),
        ("user.signingkey", str(key)),
        ("commit.gpgsign", "true"),
        ("gpg.ssh.allowedSignersFile", str(allowed)),
    ):
        shop.git("config", setting, value)
    shop.commit(
        "fix", {"checkout/__init__.py": "from libs.payments import api\nZ = 3\n"}, author=BO
    )
    approve(handrail, shop, ANA, monkeypatch)
    head = shop.head()
    record = json.loads(shop.git("notes", "--ref=refs/notes/handrail-approvals", "show", head))
    assert record["signature"].startswith("-----BEGIN SSH SIGNATURE-----")
    signed = check(handrail, shop)
    assert signed.json["decision"] == "pass"
    assert signed.json["approvals"][0]["why"].endswith("(signature valid)")

    record["time"] += 1  # someone edits the note afterwards
    mallory = identity_env(("Mallory", "m@x.example"))
    shop.git(
        "notes",
        "--ref=refs/notes/handrail-approvals",
        "add",
        "-f",
        "-m",
        json.dumps(record),
        head,
        env=mallory,
    )
    tampered = check(handrail, shop)
    assert tampered.json["decision"] == "needs_approval"
    assert tampered.json["approvals"][0]["why"] == "signature does not verify for ana@shop.example"


@pytest.fixture
def gnupg_home(monkeypatch):
    """A keyring of its own, with a short path: gpg-agent's socket must fit in 108 bytes."""
    import shutil
    import subprocess
    import tempfile

    home = tempfile.mkdtemp(prefix="gpg-", dir="/tmp")
    monkeypatch.setenv("GNUPGHOME", home)
    yield home
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], check=False, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def _gpg_key(user_id: str) -> str:
    """A new signing key for `user_id` in $GNUPGHOME; its fingerprint."""
    import subprocess

    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", user_id, "ed25519", "sign"],
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(
        ["gpg", "--batch", "--with-colons", "--list-keys", user_id],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))


def test_openpgp_signed_approvals_verify_against_the_keyring(
    shop: GitRepo, handrail, monkeypatch, gnupg_home: str
) -> None:
    import json

    fingerprint = _gpg_key("Ana Diaz <ana@shop.example>")
    shop.commit(
        "fix", {"checkout/__init__.py": "from libs.payments import api\nZ = 3\n"}, author=BO
    )
    shop.git("config", "user.signingkey", fingerprint)
    shop.git("config", "commit.gpgsign", "true")  # gpg.format unset: OpenPGP, git's default
    approve(handrail, shop, ANA, monkeypatch)
    record = json.loads(shop.git("notes", "--ref=refs/notes/handrail-approvals", "show", "HEAD"))
    assert record["signature"].startswith("-----BEGIN PGP SIGNATURE-----")
    signed = check(handrail, shop)
    assert signed.json["decision"] == "pass"
    assert signed.json["approvals"][0]["why"].endswith("(signature valid)")


def test_an_openpgp_key_without_the_approvers_address_does_not_count(
    shop: GitRepo, handrail, monkeypatch, gnupg_home: str
) -> None:
    # Bo signs with his own key, but records the approval under Ana's name.
    shop.git("config", "user.signingkey", _gpg_key("Bo Chan <bo@shop.example>"))
    shop.commit(
        "fix", {"checkout/__init__.py": "from libs.payments import api\nZ = 3\n"}, author=BO
    )
    act_as(monkeypatch, ANA)
    assert handrail("--repo", shop.path, "approve", "--sign").code == 0
    forged = check(handrail, shop)
    assert forged.json["decision"] == "needs_approval"
    why = forged.json["approvals"][0]["why"]
    assert why.startswith("signature is by key ") and "no user id for ana@shop.example" in why


def test_an_openpgp_signature_from_an_unknown_key_is_judged_as_unsigned(
    shop: GitRepo, handrail, monkeypatch, gnupg_home: str
) -> None:
    import subprocess

    fingerprint = _gpg_key("Ana Diaz <ana@shop.example>")
    shop.git("config", "user.signingkey", fingerprint)
    shop.commit(
        "fix", {"checkout/__init__.py": "from libs.payments import api\nZ = 3\n"}, author=BO
    )
    act_as(monkeypatch, ANA)
    assert handrail("--repo", shop.path, "approve", "--sign").code == 0
    subprocess.run(
        ["gpg", "--batch", "--yes", "--delete-secret-and-public-key", fingerprint],
        check=True,
        capture_output=True,
    )
    result = check(handrail, shop)
    assert "not verifiable here (public key" in result.json["approvals"][0]["why"]
    assert result.json["decision"] == "pass"  # it counts as an unsigned approval would


def test_x509_signing_is_refused_plainly(shop: GitRepo, handrail, monkeypatch) -> None:
    shop.git("config", "gpg.format", "x509")
    act_as(monkeypatch, ANA)
    result = handrail("--repo", shop.path, "approve", "--sign")
    assert result.code == 2 and "SSH or OpenPGP keys only" in result.err
    assert shop.git("notes", "--ref=refs/notes/handrail-approvals", "list") == ""


def test_one_run_gives_json_and_appends_the_markdown_summary(
    shop: GitRepo, handrail, tmp_path: Path
) -> None:
    shop.commit("drop", {"migrations/V2__drop.sql": "DROP TABLE orders;\n"}, author=BO)
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    result = check(handrail, shop, "--summary", str(summary))
    assert result.json["decision"] == "needs_approval"
    markdown = handrail("--repo", shop.path, "check", "--base", "main", "--format", "markdown")
    assert summary.read_text() == "# earlier step\n" + markdown.out
    unwritable = check(handrail, shop, "--summary", str(tmp_path / "missing" / "summary.md"))
    assert unwritable.code == 2 and "cannot write the summary" in unwritable.err
