"""The Terraform/OpenTofu/Terragrunt/Pulumi rule family.

SLOW (a few seconds): the saved-plan tests run the real `terraform` binary on the built-in
`terraform_data` resource (no provider download, no network) to make real state and real plan
files — current, stale (the state moved on after planning), from another lineage, in a
workspace — and the guard itself runs `terraform show -json` on them. `terraform_data` holds no
state, so the stateful side of scope proportionality uses a published plan fixture
(tests/fixtures/terraform_plans/strata_danger_sample_rds_replace.plan.json, copied from
ArjenSchwarz/strata samples/danger-sample.json @ d09461c) and a real plan whose resource type
is changed, as tests/test_blast_terraform.py does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from guard_rule_helpers import judge_with
from handrail.blast.terraform import analyze_plan
from handrail.guard.context import Environment, load_context
from handrail.guard.model import GuardContext
from handrail.guard.rules import terraform
from handrail.guard.rules.terraform import judge_plan_scope

FIXTURES = Path(__file__).parent / "fixtures" / "terraform_plans"
TF_ENV = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}

CONFIG = """
variable "tag" {
  type    = string
  default = "a"
}

variable "revision" {
  type    = string
  default = "1"
}

resource "terraform_data" "db" {
  input            = var.tag
  triggers_replace = var.revision
}
"""


def _tf(workdir: Path, *args: str) -> None:
    proc = subprocess.run(
        ["terraform", *args], cwd=workdir, env=TF_ENV, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"terraform {' '.join(args)} failed:\n{proc.stderr}"


def _applied(workdir: Path, *workspace: str) -> Path:
    workdir.mkdir()
    (workdir / "main.tf").write_text(CONFIG)
    _tf(workdir, "init", "-input=false", "-no-color")
    if workspace:
        _tf(workdir, "workspace", "new", *workspace)
    _tf(workdir, "apply", "-input=false", "-no-color", "-auto-approve")
    return workdir


def _plan(workdir: Path, name: str, *args: str) -> None:
    _tf(workdir, "plan", "-input=false", "-no-color", f"-out={name}", *args)


def _apply(workdir: Path, *args: str) -> None:
    _tf(workdir, "apply", "-input=false", "-no-color", "-auto-approve", *args)


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One applied directory holding plans made at different points of its history."""
    if shutil.which("terraform") is None:
        pytest.fail("these tests run the real terraform binary; install it on PATH")
    root = tmp_path_factory.mktemp("guard-terraform")
    main = _applied(root / "main")
    _plan(main, "stale.tfplan", "-var=tag=b")
    _apply(main, "-var=tag=c")  # the state moves on: stale.tfplan now describes the past
    _plan(main, "current.tfplan", "-var=tag=d")
    _plan(main, "replace.tfplan", "-var=tag=c", "-var=revision=2")
    other = _applied(root / "other")  # a separate state: another lineage
    _plan(other, "foreign.tfplan", "-var=tag=z")
    shutil.copy(other / "foreign.tfplan", main / "foreign.tfplan")
    blue = _applied(root / "blue", "blue")  # state under terraform.tfstate.d/blue/
    _plan(blue, "ws.tfplan", "-var=tag=b")
    _apply(blue, "-var=tag=c")
    return root


def _context(workdir: Path, intent: str | None = None) -> GuardContext:
    env = {"HOME": str(workdir), "PATH": os.environ.get("PATH", "")}
    return load_context(str(workdir), env)._replace(intent=intent)


def _state(workdir: Path) -> dict[str, object]:
    return json.loads((workdir / "terraform.tfstate").read_text())


# --- Saved plans, with the real binary --------------------------------------------------------


def test_stale_plan_is_denied_with_both_serials(plans: Path) -> None:
    main = plans / "main"
    verdict = judge_with(terraform, "terraform apply stale.tfplan", _context(main))
    assert verdict is not None and verdict.decision == "deny"
    assert verdict.rule == "terraform.stale-plan"
    with zipfile.ZipFile(main / "stale.tfplan") as archive:
        planned_from = json.loads(archive.read("tfstate"))["serial"]
    current = _state(main)["serial"]
    assert planned_from < current
    assert f"planned from state serial {planned_from} " in verdict.reason
    assert f"now at serial {current} " in verdict.reason


def test_staleness_is_read_from_the_plan_zip_without_terraform(
    plans: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan's `tfstate` entry is read with zipfile; a stale plan is refused before any
    # `terraform show` process is spawned.
    def no_spawn(*args: object) -> None:
        raise AssertionError(f"terraform show was run: {args}")

    monkeypatch.setattr(terraform, "_show_json", no_spawn)
    verdict = judge_with(terraform, "terraform apply stale.tfplan", _context(plans / "main"))
    assert verdict is not None and verdict.rule == "terraform.stale-plan"
    assert verdict.decision == "deny"
    with pytest.raises(AssertionError, match="terraform show was run"):
        judge_with(terraform, "terraform apply current.tfplan", _context(plans / "main"))


def test_current_plan_passes(plans: Path) -> None:
    verdict = judge_with(terraform, "terraform apply current.tfplan", _context(plans / "main"))
    assert verdict is not None and verdict.decision == "allow"
    assert "destroys nothing" in verdict.reason


def test_plan_from_another_lineage_is_denied(plans: Path) -> None:
    verdict = judge_with(terraform, "terraform apply foreign.tfplan", _context(plans / "main"))
    assert verdict is not None and verdict.decision == "deny"
    assert "another lineage" in verdict.reason
    assert str(_state(plans / "main")["lineage"]) in verdict.reason


def test_workspace_state_is_the_one_compared(plans: Path) -> None:
    blue = plans / "blue"
    assert (blue / "terraform.tfstate.d" / "blue" / "terraform.tfstate").is_file()
    verdict = judge_with(terraform, "terraform apply ws.tfplan", _context(blue))
    assert verdict is not None and verdict.decision == "deny"
    assert verdict.rule == "terraform.stale-plan"


def test_chdir_points_at_the_plan_directory(plans: Path) -> None:
    verdict = judge_with(terraform, "terraform -chdir=main apply stale.tfplan", _context(plans))
    assert verdict is not None and verdict.rule == "terraform.stale-plan"


def test_remote_backend_cannot_be_checked_offline(plans: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "remote"
    shutil.copytree(plans / "main", workdir)
    (workdir / "terraform.tfstate").unlink()
    # What `terraform init` records for an S3 backend (it cannot be reached from here).
    (workdir / ".terraform").mkdir(exist_ok=True)
    recorded = {"version": 3, "backend": {"type": "s3", "config": {"bucket": "tf-state"}}}
    (workdir / ".terraform" / "terraform.tfstate").write_text(json.dumps(recorded))
    verdict = judge_with(terraform, "terraform apply current.tfplan", _context(workdir))
    assert verdict is not None and verdict.decision == "ask"
    assert "s3 backend" in verdict.reason and "offline" in verdict.reason


def test_replacing_plan_against_an_intent_that_removes_nothing(plans: Path) -> None:
    main = plans / "main"
    asked = judge_with(
        terraform, "terraform apply replace.tfplan", _context(main, "update the tag")
    )
    assert asked is not None and asked.decision == "ask"
    assert asked.rule == "terraform.plan-unexpected-deletes"
    assert "terraform_data.db" in asked.reason
    intended = judge_with(
        terraform, "terraform apply replace.tfplan", _context(main, "recreate the db resource")
    )
    assert intended is not None and intended.decision == "allow"
    unstated = judge_with(terraform, "terraform apply replace.tfplan", _context(main))
    assert unstated is not None and unstated.decision == "allow"
    assert "none of a type that holds state" in unstated.reason


def test_plan_whose_state_is_gone_is_denied(plans: Path, tmp_path: Path) -> None:
    # Planned from a real state, applied where no state exists (the local backend): the world
    # it was planned against is not this one.
    shutil.copy(plans / "main" / "current.tfplan", tmp_path / "copied.tfplan")
    verdict = judge_with(terraform, "terraform apply copied.tfplan", _context(tmp_path))
    assert verdict is not None and verdict.rule == "terraform.stale-plan"
    assert verdict.decision == "deny" and "no state at terraform.tfstate" in verdict.reason


def test_a_file_that_is_not_a_plan_is_a_plain_apply(plans: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("apply me")
    assert judge_with(terraform, "terraform apply notes.txt", _context(tmp_path)) is None


def test_unreadable_plan_asks(plans: Path, tmp_path: Path) -> None:
    shutil.copy(plans / "main" / "current.tfplan", tmp_path / "copied.tfplan")
    shutil.copy(plans / "main" / "terraform.tfstate", tmp_path / "terraform.tfstate")
    context = _context(tmp_path)._replace(env={"HOME": str(tmp_path), "PATH": "/nonexistent"})
    verdict = judge_with(terraform, "terraform apply copied.tfplan", context)
    assert verdict is not None and verdict.decision == "ask"
    assert "not on PATH" in verdict.reason


# --- Scope proportionality on stateful plans ---------------------------------------------------


def _rds_findings() -> list[object]:
    text = (FIXTURES / "strata_danger_sample_rds_replace.plan.json").read_text()
    return list(analyze_plan(text, "danger.plan.json"))


@pytest.mark.parametrize(
    ("intent", "expected", "rule"),
    [
        ("change a tag", "deny", "terraform.plan-out-of-scope"),
        ("update tags on the web server", "deny", "terraform.plan-out-of-scope"),
        ("fix typo in the description", "deny", "terraform.plan-out-of-scope"),
        ("delete the old security group", "deny", "terraform.plan-out-of-scope"),
        ("replace the main database with a larger one", "ask", "terraform.plan-destroys-state"),
        ("recreate db instance", "ask", "terraform.plan-destroys-state"),
        (None, "ask", "terraform.plan-destroys-state"),
    ],
)
def test_stateful_replacement_against_the_intent(
    intent: str | None, expected: str, rule: str
) -> None:
    verdict = judge_plan_scope(_rds_findings(), intent, Environment("unknown"), "the plan")
    assert (verdict.decision, verdict.rule) == (expected, rule)
    assert "aws_db_instance.main" in verdict.reason


def test_real_plan_with_a_stateful_type(plans: Path) -> None:
    shown = subprocess.run(
        ["terraform", "show", "-json", "replace.tfplan"],
        cwd=plans / "main",
        env=TF_ENV,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    plan = json.loads(shown)
    for change in plan["resource_changes"]:
        change["type"] = "aws_rds_cluster"
        change["address"] = "aws_rds_cluster.orders"
    findings = analyze_plan(json.dumps(plan), "replace.json")
    verdict = judge_plan_scope(findings, "add a tag", Environment("unknown"), "the plan")
    assert verdict.decision == "deny"
    assert "aws_rds_cluster.orders" in verdict.reason and "'add a tag'" in verdict.reason
    covered = judge_plan_scope(findings, "replace the orders cluster", Environment("unknown"), "p")
    assert covered.decision == "ask"


# --- Commands without a saved plan -------------------------------------------------------------

COMMANDS = [
    ("terraform plan", None),
    ("terraform plan -destroy", None),
    ("terraform plan -destroy -out=destroy.tfplan", None),
    ("terraform show", None),
    ("terraform state list", None),
    ("terraform state show aws_s3_bucket.logs", None),
    ("terraform import aws_s3_bucket.logs logs", None),
    ("terraform init -upgrade", None),
    ("terraform fmt -recursive", None),
    ("terraform validate", None),
    ("terraform destroy -help", None),
    ("terraform destroy --help", None),
    ("terraform -help", None),
    ("pulumi destroy --help", None),
    ("terraform output -json", None),
    ("terraform untaint aws_instance.web", None),
    ("terraform apply", None),
    ("terraform destroy", "ask"),
    ("terraform destroy -target=aws_instance.web", "ask"),
    ("terraform destroy -auto-approve", "deny"),
    ("terraform apply -destroy -auto-approve", "deny"),
    ("tofu destroy", "ask"),
    ("terraform apply -auto-approve", "ask"),
    ("terraform apply -replace=aws_db_instance.main", "deny"),
    ("terraform apply -replace=module.data.aws_s3_bucket.logs", "deny"),
    ("terraform apply -replace=aws_instance.web", "ask"),
    ("terraform state rm aws_s3_bucket.logs", "ask"),
    ("terraform state mv aws_instance.a aws_instance.b", "ask"),
    ("terraform state push -force backup.tfstate", "deny"),
    ("terraform force-unlock 6638b2d2", "ask"),
    ("terraform workspace delete feature-x", "ask"),
    ("terraform workspace delete -force feature-x", "deny"),
    ("terraform workspace select feature-x", None),
    ("terraform taint aws_instance.web", "ask"),
    ("terraform destroy -var-file=prod.tfvars", "deny"),
    ("terraform destroy -var environment=dev", "ask"),
    ("terragrunt plan", None),
    ("terragrunt destroy", "ask"),
    ("terragrunt run-all destroy", "deny"),
    ("terragrunt run --all -- destroy", "deny"),
    ("terragrunt run-all apply", "ask"),
    ("pulumi preview", None),
    ("pulumi stack ls", None),
    ("pulumi up", None),
    ("pulumi up --yes", "ask"),
    ("pulumi up -s prod --yes", "deny"),
    ("pulumi destroy", "ask"),
    ("pulumi destroy --yes", "deny"),
    ("pulumi destroy -s dev", "ask"),
    ("pulumi stack rm dev --force", "deny"),
    ("pulumi state delete urn:pulumi:dev::app::aws:s3/bucket:Bucket::logs", "ask"),
    ("pulumi up --replace urn:pulumi:dev::app::aws:rds/instance:Instance::db", "ask"),
]


@pytest.mark.parametrize(("command", "expected"), COMMANDS)
def test_commands(command: str, expected: str | None, tmp_path: Path) -> None:
    verdict = judge_with(terraform, command, _context(tmp_path))
    assert (verdict.decision if verdict else None) == expected


def test_workspace_raises_and_lowers(tmp_path: Path) -> None:
    production = judge_with(
        terraform, "terraform destroy", _context(tmp_path), env={"TF_WORKSPACE": "prod-eu"}
    )
    assert production is not None and production.decision == "deny"
    assert "Terraform workspace 'prod-eu' (from TF_WORKSPACE)" in production.reason
    apply = judge_with(
        terraform, "terraform apply -auto-approve", _context(tmp_path), env={"TF_WORKSPACE": "live"}
    )
    assert apply is not None and apply.decision == "deny"
    sandbox = judge_with(
        terraform,
        "terraform destroy -auto-approve",
        _context(tmp_path),
        env={"TF_WORKSPACE": "sandbox"},
    )
    assert sandbox is not None and sandbox.decision == "ask"  # never silently destroyed
    dev_apply = judge_with(
        terraform, "terraform apply -auto-approve", _context(tmp_path), env={"TF_WORKSPACE": "dev"}
    )
    assert dev_apply is not None and dev_apply.decision == "allow"


def test_selected_workspace_file_and_directory_name(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    envs = tmp_path / "envs" / "production"
    (envs / ".terraform").mkdir(parents=True)
    verdict = judge_with(terraform, "terraform apply", _context(envs))
    assert verdict is not None and verdict.decision == "ask"
    assert "directory 'envs/production'" in verdict.reason
    staging = tmp_path / "stacks" / "shop"
    (staging / ".terraform").mkdir(parents=True)
    (staging / ".terraform" / "environment").write_text("prod")
    selected = judge_with(terraform, "terraform destroy", _context(staging))
    assert selected is not None and selected.decision == "deny"
    assert "environment" in selected.reason


def test_not_terraform(tmp_path: Path) -> None:
    assert judge_with(terraform, "echo terraform destroy", _context(tmp_path)) is None
    assert judge_with(terraform, "terraform", _context(tmp_path)) is None
