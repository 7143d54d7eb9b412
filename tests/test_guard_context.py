"""The guard's context: project root, environment classes, values read from real config files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from handrail.guard.context import (
    Environment,
    Setting,
    aws_profile,
    azure_subscription,
    classify,
    directory_setting,
    environment_class,
    find_project_root,
    for_invocation,
    gcloud_settings,
    kube_context,
    kube_namespace,
    load_context,
    parse_options,
    pulumi_stack,
    terraform_workspace,
    weigh,
)
from handrail.guard.model import GuardContext, Invocation

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: eu
  cluster: {server: "https://eu.example.com"}
contexts:
- name: prod-eu
  context: {cluster: eu, user: admin, namespace: payments}
- name: dev
  context:
    cluster: eu
    user: admin
current-context: prod-eu  # switched by kubectx
users:
- name: admin
  user: {token: x}
"""


def _context(tmp_path: Path, **env: str) -> GuardContext:
    return load_context(str(tmp_path), {"HOME": str(tmp_path / "home"), **env})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("prod", "production"),
        ("prod-eu", "production"),
        ("eu-production", "production"),
        ("gke_shop-prod_europe-west1_main", "production"),
        ("arn:aws:eks:us-east-1:123456789012:cluster/prod-cluster", "production"),
        ("admin@live.example.com", "production"),
        ("prod1", "production"),
        ("PROD", "production"),
        ("product-catalog", "unknown"),
        ("productivity", "unknown"),
        ("delivery", "unknown"),
        ("olive", "unknown"),
        ("dev", "safe"),
        ("team-sandbox", "safe"),
        ("app_test", "safe"),
        ("testing", "unknown"),  # a whole word only: "testing" is not "test"
        ("prod-test", "production"),  # both: production is the safer assumption
        ("", "unknown"),
    ],
)
def test_environment_class_matches_whole_words(name: str, expected: str) -> None:
    assert environment_class(name) == expected


def test_configured_patterns_replace_the_defaults(tmp_path: Path) -> None:
    context = GuardContext(
        cwd=str(tmp_path), production_patterns=("prd", "us-east-*"), safe_patterns=("qa",)
    )
    assert environment_class("eu-prd-1", context) == "production"
    assert environment_class("us-east-2", context) == "production"  # a multi-word pattern
    assert environment_class("east-us", context) == "unknown"
    assert environment_class("prod", context) == "unknown"  # no longer a production word
    assert environment_class("qa-eu", context) == "safe"


def test_classify_prefers_production_and_names_the_deciding_setting() -> None:
    dev = Setting("kube context", "dev", "--context flag")
    prod = Setting("target", "prod-db", "the command line")
    found = classify([dev, None, prod], GuardContext(cwd="."))
    assert found == Environment("production", prod)
    assert "target 'prod-db' (from the command line)" in found.describe()
    assert classify([dev], GuardContext(cwd=".")).kind == "safe"
    assert classify([None], GuardContext(cwd=".")).kind == "unknown"


@pytest.mark.parametrize(
    ("base", "kind", "floor", "ceiling", "expected"),
    [
        ("ask", "production", "allow", "deny", "deny"),
        ("ask", "safe", "allow", "deny", "allow"),
        ("deny", "safe", "ask", "deny", "ask"),
        ("deny", "production", "allow", "deny", "deny"),
        ("ask", "unknown", "allow", "deny", "ask"),
        ("ask", "production", "allow", "ask", "ask"),
        ("allow", "production", "allow", "deny", "ask"),
        ("ask", "safe", "ask", "deny", "ask"),
    ],
)
def test_weigh_moves_one_step_within_bounds(
    base: str, kind: str, floor: str, ceiling: str, expected: str
) -> None:
    assert weigh(base, Environment(kind), floor, ceiling) == expected  # type: ignore[arg-type]


def test_load_context_finds_the_project_root_and_home(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    nested = tmp_path / "repo" / "infra" / "prod"
    nested.mkdir(parents=True)
    context = load_context(str(nested), {"HOME": "/home/agent"})
    assert context.project_root == str(tmp_path / "repo")
    assert context.home == "/home/agent"
    assert context.env == {"HOME": "/home/agent"}
    assert context.production_patterns == ("prod", "production", "live")
    assert find_project_root(str(tmp_path)) is None


def test_a_worktree_git_file_marks_the_root_too(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("gitdir: /elsewhere/.git/worktrees/x\n")
    (tmp_path / "sub").mkdir()
    assert find_project_root(str(tmp_path / "sub")) == str(tmp_path)


def test_load_context_reads_the_three_settings_fields(tmp_path: Path) -> None:
    # G1's GuardSettings: only these three fields are read.
    settings = SimpleNamespace(
        protected_branches=["trunk"], production_patterns=["prd"], safe_patterns=["qa"]
    )
    context = load_context(str(tmp_path), {}, settings)  # type: ignore[arg-type]
    assert (context.protected_branches, context.production_patterns, context.safe_patterns) == (
        ("trunk",),
        ("prd",),
        ("qa",),
    )


def test_parse_options_handles_the_common_spellings() -> None:
    options = parse_options(
        ["-nprod", "--context=eu", "-f", "a.yaml", "delete", "ns", "x", "--", "-weird"],
        ("n", "f", "context"),
    )
    assert options.positionals == ("delete", "ns", "x", "-weird")
    assert options.value("n") == "prod"
    assert options.value("context") == "eu"
    assert options.all_values("f") == ["a.yaml"]
    clustered = parse_options(["-tAc", "SELECT 1", "-rf"], ("c",), clusters=True)
    assert clustered.value("c") == "SELECT 1"
    assert {"t", "A", "r", "f"} <= clustered.flags
    assert parse_options(["-replace=aws_db.x", "-auto-approve"]).value("replace") == "aws_db.x"
    assert parse_options(["scale", "--replicas", "-1"], ("replicas",)).value("replicas") == "-1"


def test_kube_context_prefers_the_flag_then_reads_current_context(tmp_path: Path) -> None:
    config = tmp_path / "home" / ".kube" / "config"
    config.parent.mkdir(parents=True)
    config.write_text(KUBECONFIG)
    context = _context(tmp_path)
    found = kube_context(context, parse_options([]))
    assert found == Setting("kube context", "prod-eu", f"current-context in {config}")
    flagged = kube_context(context, parse_options(["--context", "dev"], ("context",)))
    assert flagged == Setting("kube context", "dev", "--context flag")
    namespace = kube_namespace(context, parse_options([]), found)
    assert namespace is not None and namespace.value == "payments"
    assert kube_namespace(context, parse_options(["-n", "web"], ("n",)), found) == Setting(
        "namespace", "web", "--namespace flag"
    )
    dev = Setting("kube context", "dev", "--context flag")
    assert kube_namespace(context, parse_options([]), dev) is None  # dev sets no namespace


def test_kubeconfig_variable_lists_files_and_the_first_current_context_wins(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "a.yaml"
    empty.write_text("apiVersion: v1\nkind: Config\n")
    quoted = tmp_path / "b.yaml"
    quoted.write_text('current-context: "staging-us"\n')
    context = _context(tmp_path, KUBECONFIG=f"{empty}:{quoted}")
    found = kube_context(context, parse_options([]))
    assert found is not None and found.value == "staging-us" and str(quoted) in found.where


def test_a_json_kubeconfig_is_read_by_the_full_parser(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig.json"
    config.write_text(json.dumps({"current-context": "live-1", "contexts": []}))
    context = _context(tmp_path, KUBECONFIG=str(config))
    found = kube_context(context, parse_options([]))
    assert found is not None and found.value == "live-1"


def test_no_kubeconfig_means_no_context(tmp_path: Path) -> None:
    assert kube_context(_context(tmp_path), parse_options([])) is None


def test_aws_profile_from_flag_then_variables(tmp_path: Path) -> None:
    context = _context(tmp_path, AWS_DEFAULT_PROFILE="dev", AWS_PROFILE="prod-admin")
    assert aws_profile(context, parse_options([])) == Setting(
        "AWS profile", "prod-admin", "AWS_PROFILE"
    )
    flagged = aws_profile(context, parse_options(["--profile", "sandbox"], ("profile",)))
    assert flagged == Setting("AWS profile", "sandbox", "--profile flag")
    assert aws_profile(_context(tmp_path), parse_options([])) is None


def test_gcloud_project_from_the_active_configuration_file(tmp_path: Path) -> None:
    gcloud = tmp_path / "home" / ".config" / "gcloud"
    (gcloud / "configurations").mkdir(parents=True)
    (gcloud / "active_config").write_text("work\n")
    (gcloud / "configurations" / "config_work").write_text(
        "[core]\naccount = me@example.com\nproject = shop-production\n"
    )
    found = gcloud_settings(_context(tmp_path), parse_options([]))
    assert [setting.value for setting in found] == ["work", "shop-production"]
    assert found[1].where.endswith("config_work")
    flagged = gcloud_settings(_context(tmp_path), parse_options(["--project=x-dev"], ("project",)))
    assert flagged[1] == Setting("gcloud project", "x-dev", "--project flag")


def test_azure_subscription_from_the_profile_file(tmp_path: Path) -> None:
    azure = tmp_path / "home" / ".azure"
    azure.mkdir(parents=True)
    profile = {
        "subscriptions": [
            {"name": "Dev Sandbox", "isDefault": False},
            {"name": "Contoso Production", "isDefault": True},
        ]
    }
    # az writes the file with a byte-order mark.
    (azure / "azureProfile.json").write_text(json.dumps(profile), encoding="utf-8-sig")
    found = azure_subscription(_context(tmp_path), parse_options([]))
    assert found is not None and found.value == "Contoso Production"


def test_terraform_workspace_from_variable_then_environment_file(tmp_path: Path) -> None:
    assert terraform_workspace(_context(tmp_path), tmp_path).value == "default"
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "environment").write_text("prod-eu")
    found = terraform_workspace(_context(tmp_path), tmp_path)
    assert found.value == "prod-eu" and found.where.endswith("environment")
    assert terraform_workspace(_context(tmp_path, TF_WORKSPACE="dev"), tmp_path).value == "dev"


def test_pulumi_stack_from_flag_then_the_workspace_file(tmp_path: Path) -> None:
    project = tmp_path / "infra"
    (project / "src").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    context = _context(tmp_path)
    flagged = pulumi_stack(context, parse_options(["-s", "org/dev"], ("s",)), project)
    assert flagged == Setting("Pulumi stack", "org/dev", "--stack flag")
    assert pulumi_stack(context, parse_options([]), project / "src") is None  # none selected
    # What `pulumi stack select org/prod` writes, named after the sha1 of the project file path.
    digest = hashlib.sha1(str(project / "Pulumi.yaml").encode()).hexdigest()
    workspaces = tmp_path / "home" / ".pulumi" / "workspaces"
    workspaces.mkdir(parents=True)
    (workspaces / f"shop-{digest}-workspace.json").write_text('{"stack": "org/prod"}')
    found = pulumi_stack(context, parse_options([]), project / "src")
    assert found is not None and found.value == "org/prod"
    assert found.where.endswith("-workspace.json")


def test_directory_counts_only_below_the_project_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    envs = tmp_path / "envs" / "production"
    envs.mkdir(parents=True)
    context = load_context(str(envs), {})
    found = directory_setting(context, envs)
    assert found is not None and found.value == "envs/production"
    assert directory_setting(context, tmp_path) is None  # the root itself names nothing
    assert directory_setting(load_context("/tmp", {}), Path("/tmp")) is None


def test_assignments_before_a_program_reach_its_context(tmp_path: Path) -> None:
    context = _context(tmp_path)
    invocation = Invocation(("aws", "s3", "ls"), "AWS_PROFILE=prod aws s3 ls",
                            assignments=(("AWS_PROFILE", "prod"),))  # fmt: skip
    assert for_invocation(context, invocation).env["AWS_PROFILE"] == "prod"
    assert "AWS_PROFILE" not in context.env
