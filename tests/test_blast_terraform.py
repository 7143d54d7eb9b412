"""Destructive changes in Terraform plans.

Real plans come from two places: the `terraform` binary on this machine, planning the built-in
`terraform_data` resource (no provider download, no network), and published plans copied byte
for byte into tests/fixtures/terraform_plans/ from /work/shared/policy_data (sources:
hashicorp/terraform-json testdata/moved_block/plan.json @ 5a1ca92; terraform-compliance/cli
tests/functional/test_issue_522/plan.out.json @ f45a4fe; ArjenSchwarz/strata
samples/danger-sample.json and samples/web-sample.json @ d09461c, the latter a deliberately
non-standard negative). `terraform_data` holds no state, so stateful types are tested on plans
derived from a real one by changing only the resource's `type` field.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from handrail.blast.findings import Destruction
from handrail.blast.terraform import analyze_plan, stateful_resource_types
from handrail.errors import HandrailError

FIXTURES = Path(__file__).parent / "fixtures" / "terraform_plans"
# TF_CLI_CONFIG_FILE and the rest stay as the machine has them; no update check over the network.
TF_ENV = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}

BASE_CONFIG = """
variable "trigger" {
  type    = string
  default = "a"
}

resource "terraform_data" "db" {
  triggers_replace = var.trigger
  input            = "x"
}

resource "terraform_data" "cache" {
  triggers_replace = var.trigger
  lifecycle {
    create_before_destroy = true
  }
}
"""

# terraform_data.cache's configuration is gone: Terraform plans to delete it.
CACHE_DROPPED_CONFIG = """
resource "terraform_data" "db" {
  triggers_replace = "a"
  input            = "x"
}
"""

# db renamed to primary (and its trigger changed); cache released from management.
REFACTORED_CONFIG = """
resource "terraform_data" "primary" {
  triggers_replace = "b"
  input            = "x"
}

moved {
  from = terraform_data.db
  to   = terraform_data.primary
}

removed {
  from = terraform_data.cache
  lifecycle {
    destroy = false
  }
}
"""

PROVIDER_PREFIXES = ("aws_", "google_", "azurerm_", "kubernetes_")


def _terraform(workdir: Path, *args: str) -> str:
    proc = subprocess.run(
        ["terraform", *args], cwd=workdir, env=TF_ENV, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"terraform {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout


def _plan(workdir: Path, *args: str) -> str:
    _terraform(workdir, "plan", "-input=false", "-no-color", "-out=tfplan", *args)
    return _terraform(workdir, "show", "-json", "tfplan")


def _version(workdir: Path) -> tuple[int, ...]:
    reported = json.loads(_terraform(workdir, "version", "-json"))["terraform_version"]
    return tuple(int(part) for part in reported.split("-")[0].split("."))


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Plan JSON by scenario, all planned against one applied working directory."""
    if shutil.which("terraform") is None:
        pytest.fail("these tests run the real terraform binary; install it on PATH")
    workdir = tmp_path_factory.mktemp("terraform")
    (workdir / "main.tf").write_text(BASE_CONFIG)
    _terraform(workdir, "init", "-input=false", "-no-color")
    _terraform(workdir, "apply", "-input=false", "-no-color", "-auto-approve")
    plans = {
        "unchanged": _plan(workdir),
        "trigger changed": _plan(workdir, "-var=trigger=b"),
        "replace requested": _plan(workdir, "-replace=terraform_data.db"),
        "destroy": _plan(workdir, "-destroy"),
        "state": _terraform(workdir, "show", "-json"),  # the state itself, not a plan
    }
    (workdir / "main.tf").write_text(CACHE_DROPPED_CONFIG)
    plans["config dropped"] = _plan(workdir)
    if _version(workdir) >= (1, 7):  # `removed` blocks arrived in Terraform 1.7
        (workdir / "main.tf").write_text(REFACTORED_CONFIG)
        plans["refactored"] = _plan(workdir)
    empty = tmp_path_factory.mktemp("terraform-empty")
    (empty / "main.tf").write_text("")
    plans["empty"] = _plan(empty)
    return plans


def _actions(plan_text: str) -> dict[str, list[str]]:
    """What the plan itself says, to show each scenario really is what its test claims."""
    plan = json.loads(plan_text)
    return {rc["address"]: rc["change"]["actions"] for rc in plan.get("resource_changes", [])}


def _by_target(plan_text: str) -> dict[str, Destruction]:
    return {finding.target: finding for finding in analyze_plan(plan_text, "tfplan.json")}


def _derived(plan_text: str, change: Callable[[dict[str, Any]], object]) -> str:
    """A real plan with one edit, described by the test that makes it."""
    plan = json.loads(plan_text)
    change(plan)
    return json.dumps(plan)


def _entry(plan: dict[str, Any], address: str) -> dict[str, Any]:
    return next(rc for rc in plan["resource_changes"] if rc["address"] == address)


# Plans generated by the real terraform binary.


def test_changed_trigger_replaces_by_deleting_first(real: dict[str, str]) -> None:
    assert _actions(real["trigger changed"])["terraform_data.db"] == ["delete", "create"]
    finding = _by_target(real["trigger changed"])["terraform_data.db"]
    assert finding.kind == "infrastructure"
    assert finding.source == "tfplan.json"
    assert finding.action == "delete-then-create"
    assert (finding.stateful, finding.severity) == (False, "review")
    assert "because a change to triggers_replace forces replacement" in finding.reason
    assert "(replace_because_cannot_update)" in finding.reason
    assert "terraform_data is not a resource type known to hold state" in finding.reason


def test_create_before_destroy_replaces_by_creating_first(real: dict[str, str]) -> None:
    assert _actions(real["trigger changed"])["terraform_data.cache"] == ["create", "delete"]
    finding = _by_target(real["trigger changed"])["terraform_data.cache"]
    assert finding.action == "create-then-delete"
    assert "a new one created, then the old one deleted" in finding.reason


def test_requested_replacement_names_the_request(real: dict[str, str]) -> None:
    findings = _by_target(real["replace requested"])
    assert list(findings) == ["terraform_data.db"]
    assert "-replace" in findings["terraform_data.db"].reason
    assert "(replace_by_request)" in findings["terraform_data.db"].reason


def test_destroy_plan_deletes_everything(real: dict[str, str]) -> None:
    assert set(map(tuple, _actions(real["destroy"]).values())) == {("delete",)}
    findings = analyze_plan(real["destroy"], "tfplan.json")
    assert sorted(f.target for f in findings) == ["terraform_data.cache", "terraform_data.db"]
    assert {(f.action, f.severity) for f in findings} == {("delete", "review")}
    assert all(" because " not in f.reason for f in findings)  # -destroy gives no reason


def test_removed_configuration_is_a_delete_with_its_reason(real: dict[str, str]) -> None:
    findings = _by_target(real["config dropped"])
    assert list(findings) == ["terraform_data.cache"]
    assert findings["terraform_data.cache"].action == "delete"
    assert "its configuration was removed (delete_because_no_resource_config)" in (
        findings["terraform_data.cache"].reason
    )


def test_removed_block_forgets_and_moved_block_names_the_old_address(
    real: dict[str, str],
) -> None:
    if "refactored" not in real:
        pytest.skip("this terraform is older than 1.7, which introduced removed blocks")
    assert _actions(real["refactored"]) == {
        "terraform_data.cache": ["forget"],
        "terraform_data.primary": ["delete", "create"],
    }
    findings = _by_target(real["refactored"])
    forget = findings["terraform_data.cache"]
    assert (forget.action, forget.severity) == ("forget", "review")
    assert "the real object is kept" in forget.reason
    moved = findings["terraform_data.primary"]
    assert moved.action == "delete-then-create"
    assert moved.reason.startswith("terraform_data.primary (moved from terraform_data.db) will be")


def test_plans_without_destruction_have_no_findings(real: dict[str, str]) -> None:
    assert set(map(tuple, _actions(real["unchanged"]).values())) == {("no-op",)}
    assert analyze_plan(real["unchanged"], "tfplan.json") == []
    assert "resource_changes" not in json.loads(real["empty"])  # Terraform omits it then
    assert analyze_plan(real["empty"], "tfplan.json") == []


def test_terraform_state_is_not_mistaken_for_a_plan(real: dict[str, str]) -> None:
    with pytest.raises(HandrailError, match=r"state\.json: resource_changes: missing"):
        analyze_plan(real["state"], "state.json")


def test_a_byte_order_mark_is_ignored(real: dict[str, str]) -> None:
    with_bom = "\ufeff" + real["trigger changed"]
    assert analyze_plan(with_bom, "p.json") == analyze_plan(real["trigger changed"], "p.json")


# Stateful resource types: the data table, one test per entry.


@pytest.mark.parametrize("resource_type", sorted(stateful_resource_types()))
def test_replacing_a_stateful_type_is_destructive(real: dict[str, str], resource_type: str) -> None:
    assert resource_type.startswith(PROVIDER_PREFIXES)
    # Derived from the real replace plan by changing only terraform_data.db's "type" field.
    plan = _derived(
        real["trigger changed"],
        lambda p: _entry(p, "terraform_data.db").update(type=resource_type),
    )
    finding = _by_target(plan)["terraform_data.db"]
    assert (finding.stateful, finding.severity) == (True, "destructive")
    assert finding.reason.endswith(f": {stateful_resource_types()[resource_type]}.")
    untouched = _by_target(plan)["terraform_data.cache"]
    assert untouched.severity == "review"


def test_the_stateful_table_lists_each_type_once_with_a_reason() -> None:
    text = resources.files("handrail.blast").joinpath("stateful_resources.toml").read_text()
    kinds = tomllib.loads(text)["kind"]
    listed = [name for kind in kinds for name in kind["types"]]
    assert len(listed) == len(set(listed)) == len(stateful_resource_types())
    assert all(kind["why"] and kind["types"] for kind in kinds)
    for prefix in PROVIDER_PREFIXES:  # every provider the table promises is really covered
        assert any(name.startswith(prefix) for name in listed)


def test_forgetting_a_stateful_resource_is_only_review(real: dict[str, str]) -> None:
    if "refactored" not in real:
        pytest.skip("this terraform is older than 1.7, which introduced removed blocks")
    # Derived from the real refactoring plan by changing only terraform_data.cache's "type".
    plan = _derived(
        real["refactored"],
        lambda p: _entry(p, "terraform_data.cache").update(type="aws_s3_bucket"),
    )
    finding = _by_target(plan)["terraform_data.cache"]
    assert (finding.stateful, finding.severity) == (True, "review")


# Published plans.


def test_published_rds_replacement_is_destructive() -> None:
    text = (FIXTURES / "strata_danger_sample_rds_replace.plan.json").read_text()
    [finding] = analyze_plan(text, "danger.json")  # the create and the updates are no findings
    assert finding.target == "aws_db_instance.main"
    assert (finding.action, finding.stateful, finding.severity) == (
        "delete-then-create",
        True,
        "destructive",
    )
    assert finding.reason == (
        "aws_db_instance.main will be replaced (deleted, then created anew) because the "
        "provider cannot update it in place (replace_because_cannot_update): "
        "a database holds state."
    )


def test_published_deletes_of_stateless_resources_are_review() -> None:
    text = (FIXTURES / "tfcompliance_issue_522_aws_deletes.plan.json").read_text()
    findings = analyze_plan(text, "issue522.json")  # format_version 0.1, Terraform 1.0
    assert [(f.target, f.action, f.severity) for f in findings] == [
        (
            "aws_cloudwatch_event_rule.Metricos_custom_alert_schedule_frequent[0]",
            "delete",
            "review",
        ),
        (
            "aws_cloudwatch_event_target.Metricos_custom_alert_event_target_frequent[0]",
            "delete",
            "review",
        ),
    ]


def test_published_move_alone_is_no_finding() -> None:
    text = (FIXTURES / "tfjson_moved_block.plan.json").read_text()
    assert analyze_plan(text, "moved.json") == []


def test_published_nonstandard_replace_action_is_rejected() -> None:
    text = (FIXTURES / "strata_web_sample_NONSTANDARD_replace_action.plan.json").read_text()
    with pytest.raises(HandrailError) as error:
        analyze_plan(text, "web.json")
    assert str(error.value).startswith(
        'web.json: resource_changes[3].change.actions: ["replace"] is not an action list'
    )


# Every action_reason Terraform writes for a delete or replace (jsonplan/plan.go) is explained.


@pytest.mark.parametrize(
    "code",
    [
        "replace_because_cannot_update",
        "replace_because_tainted",
        "replace_by_request",
        "replace_by_triggers",
        "delete_because_no_resource_config",
        "delete_because_wrong_repetition",
        "delete_because_count_index",
        "delete_because_each_key",
        "delete_because_no_module",
        "delete_because_no_move_target",
    ],
)
def test_every_action_reason_is_explained_in_words(real: dict[str, str], code: str) -> None:
    # Derived from the real destroy plan (which has no reason) by adding only action_reason.
    plan = _derived(
        real["destroy"], lambda p: _entry(p, "terraform_data.db").update(action_reason=code)
    )
    reason = _by_target(plan)["terraform_data.db"].reason
    assert " because " in reason
    assert f"({code})" in reason


def test_an_unknown_action_reason_is_still_shown(real: dict[str, str]) -> None:
    plan = _derived(
        real["destroy"],
        lambda p: _entry(p, "terraform_data.db").update(action_reason="delete_because_future"),
    )
    reason = _by_target(plan)["terraform_data.db"].reason
    assert reason.startswith("terraform_data.db will be deleted (delete_because_future);")


def test_a_deposed_object_is_named(real: dict[str, str]) -> None:
    plan = _derived(
        real["destroy"], lambda p: _entry(p, "terraform_data.db").update(deposed="3f2a9c1b")
    )
    assert "terraform_data.db (deposed object 3f2a9c1b)" in _by_target(plan)


def test_replace_paths_into_nested_values_are_spelled_out(real: dict[str, str]) -> None:
    def nested_paths(plan: dict[str, Any]) -> None:
        change = _entry(plan, "terraform_data.db")["change"]
        change["replace_paths"] = [["network_interface", 0, "subnet_id"], ["engine_version"]]

    reason = _by_target(_derived(real["trigger changed"], nested_paths))["terraform_data.db"].reason
    assert "a change to network_interface[0].subnet_id and engine_version forces" in reason


# Input that is not a plan: a HandrailError naming the file and the line or field.


def test_invalid_json_names_line_and_column(real: dict[str, str]) -> None:
    pretty = json.dumps(json.loads(real["destroy"]), indent=2).splitlines()
    assert pretty[1] == '  "format_version": "1.2",'
    pretty[1] = pretty[1].rstrip(",")  # a comma missing at the end of line 2
    with pytest.raises(HandrailError, match=r"^plan\.json:3:3: not valid JSON: Expecting ','"):
        analyze_plan("\n".join(pretty), "plan.json")


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty_input_is_invalid_json(text: str) -> None:
    with pytest.raises(HandrailError, match=r"^plan\.json:\d+:\d+: not valid JSON"):
        analyze_plan(text, "plan.json")


def test_deeply_nested_json_is_an_input_error() -> None:
    with pytest.raises(HandrailError, match="nests too deeply"):
        analyze_plan("[" * 200_000, "plan.json")


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda p: p.pop("format_version"), "format_version: missing"),
        (lambda p: p.update(format_version=1.2), "format_version: expected a string"),
        (lambda p: p.update(format_version="2.0"), "format_version: '2.0' is not a plan format"),
        (lambda p: p.update(resource_changes={}), "resource_changes: expected an array"),
        (lambda p: p["resource_changes"].__setitem__(1, 7), "resource_changes[1]: expected an"),
        (lambda p: p["resource_changes"][1].pop("change"), "resource_changes[1].change: expected"),
        (
            lambda p: p["resource_changes"][1]["change"].update(actions="delete"),
            "resource_changes[1].change.actions: expected an array, found a string",
        ),
        (
            lambda p: p["resource_changes"][1]["change"].update(actions=["delete", "delete"]),
            'resource_changes[1].change.actions: ["delete", "delete"] is not an action list',
        ),
        (
            lambda p: p["resource_changes"][1]["change"].update(actions=[]),
            "resource_changes[1].change.actions: [] is not an action list",
        ),
        (
            lambda p: p["resource_changes"][1]["change"].update(actions=[{"delete": True}]),
            "resource_changes[1].change.actions: [{",
        ),
        (
            lambda p: p["resource_changes"][1].pop("address"),
            "resource_changes[1].address: expected",
        ),
        (
            lambda p: p["resource_changes"][1].update(type=None),
            "resource_changes[1].type: expected a string, found null",
        ),
        (
            lambda p: p["resource_changes"][1]["change"].update(replace_paths=[["a"], []]),
            "resource_changes[1].change.replace_paths: expected an array of paths",
        ),
        (
            lambda p: p["resource_changes"][1]["change"].update(replace_paths=[[True]]),
            "resource_changes[1].change.replace_paths: expected an array of paths",
        ),
    ],
)
def test_a_broken_field_is_named(
    real: dict[str, str], edit: Callable[[dict[str, Any]], object], field: str
) -> None:
    # Derived from the real destroy plan by breaking one field.
    with pytest.raises(HandrailError) as error:
        analyze_plan(_derived(real["destroy"], edit), "plan.json")
    assert str(error.value).startswith(f"plan.json: {field}")


@pytest.mark.parametrize("text", ["[]", '"plan"', "null", "3"])
def test_json_that_is_not_an_object_is_rejected(text: str) -> None:
    with pytest.raises(HandrailError, match=r"^plan\.json: the JSON is .*terraform show -json"):
        analyze_plan(text, "plan.json")
