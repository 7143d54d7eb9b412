"""The Kubernetes/Helm and cloud CLI rule families, with benign look-alikes next to each danger.

Invocations are built here from the words a shell would pass (the parser has its own tests); the
home directory is an empty temporary one unless a test writes real config files into it, so the
machine's own kubeconfig or cloud profiles never leak in.
"""

from __future__ import annotations

import json
import shlex
import tomllib
from pathlib import Path

import pytest

from guard_rule_helpers import decision, judge_with
from handrail.guard.context import load_context
from handrail.guard.model import GuardContext
from handrail.guard.rules import cloud, kubernetes


@pytest.fixture
def context(tmp_path: Path) -> GuardContext:
    (tmp_path / "home").mkdir()
    return load_context(str(tmp_path), {"HOME": str(tmp_path / "home")})


KUBERNETES_CASES = [
    # Reading is never judged, whatever it names.
    ("kubectl get ns prod", None),
    ("kubectl get pods -A", None),
    ("kubectl describe pod api-1 -n production", None),
    ("kubectl logs deploy/api -n prod --tail 100", None),
    ("kubectl top nodes", None),
    ("kubectl config use-context prod-eu", None),
    ("kubectl diff -f app.yaml", None),
    ("kubectl explain customresourcedefinitions", None),
    ("helm list -A", None),
    ("helm template chart/ -n prod", None),
    # Namespaces, CRDs and the cluster's own namespaces.
    ("kubectl delete ns payments", "deny"),
    ("kubectl delete namespace payments --context dev", "ask"),
    ("kubectl delete namespaces/team-a", "deny"),
    ("kubectl delete namespace kube-system --context dev", "deny"),
    ("kubectl delete crd certificates.cert-manager.io", "deny"),
    ("kubectl delete customresourcedefinitions.apiextensions.k8s.io widgets.example.com", "deny"),
    ("oc delete project team-a", "deny"),
    # Everything at once.
    ("kubectl delete deploy --all -A", "deny"),
    ("kubectl delete all --all -n shop", "deny"),
    ("kubectl delete pods --all", "ask"),
    ("kubectl delete pods -l app=web", "ask"),
    ("kubectl delete pods -l app=web --context kind-dev", "allow"),  # restarts, on dev
    ("kubectl delete -k overlays/production --context kind-dev", "deny"),
    ("kubectl delete ns payments --help", None),
    ("kubectl rollout status deploy/api -n production", None),
    ("kubectl rollout history deploy/api -n production", None),
    ("helm uninstall web -n prod --help", None),
    # Ordinary deletes, weighed by the context.
    ("kubectl delete deployment api", "ask"),
    ("kubectl --context prod-eu delete deployment api", "deny"),
    ("kubectl --context dev delete deployment api", "allow"),
    ("kubectl delete deployment/api service/api", "ask"),
    ("kubectl delete pod web-1", "allow"),
    ("kubectl delete pod web-1 -n prod", "ask"),
    ("kubectl delete pvc data-postgres-0", "ask"),
    ("kubectl delete pvc data-postgres-0 --context dev", "ask"),  # data: never silently
    ("kubectl delete node worker-3", "ask"),
    ("kubectl delete -f app.yaml", "ask"),
    ("kubectl delete -k overlays/dev", "ask"),
    ("kubectl delete deploy api --dry-run=client", None),
    ("kubectl delete deploy api --dry-run=none", "ask"),
    # Other verbs.
    ("kubectl drain worker-3 --ignore-daemonsets", "ask"),
    ("oc adm drain worker-3", "ask"),
    ("kubectl cordon worker-3", "ask"),
    ("kubectl uncordon worker-3", None),
    ("kubectl scale deploy api --replicas=0", "ask"),
    ("kubectl scale deploy api --replicas 3", None),
    ("kubectl apply -f app.yaml --prune -l app=web", "ask"),
    ("kubectl replace --force -f app.yaml", "ask"),
    ("kubectl apply -f app.yaml", None),
    ("kubectl apply -f app.yaml --context prod-eu", "ask"),
    ("kubectl rollout restart deploy/api -n live", "ask"),
    # Helm.
    ("helm uninstall web", "ask"),
    ("helm uninstall web -n prod", "deny"),
    ("helm delete web --kube-context dev", "allow"),
    ("helm uninstall web --dry-run", None),
    ("helm upgrade web chart/ --kube-context prod", "ask"),
    ("helm rollback web 3", None),
    ("helm rollback web 3 -n production", "ask"),
]


@pytest.mark.parametrize(("command", "expected"), KUBERNETES_CASES)
def test_kubernetes(command: str, expected: str | None, context: GuardContext) -> None:
    assert decision(judge_with(kubernetes, command, context)) == expected


def test_kubernetes_reason_names_the_context_and_where_it_was_read(tmp_path: Path) -> None:
    config = tmp_path / "home" / ".kube" / "config"
    config.parent.mkdir(parents=True)
    config.write_text("apiVersion: v1\ncurrent-context: gke_shop_europe-west1_prod\n")
    context = load_context(str(tmp_path), {"HOME": str(tmp_path / "home")})
    verdict = judge_with(kubernetes, "kubectl delete deployment api", context)
    assert verdict is not None and verdict.decision == "deny"
    assert verdict.rule == "kubernetes.delete-resource"
    assert "gke_shop_europe-west1_prod" in verdict.reason and str(config) in verdict.reason
    # The flag wins over the file.
    lowered = judge_with(kubernetes, "kubectl delete deployment api --context kind-dev", context)
    assert lowered is not None and lowered.decision == "allow"


def test_kubernetes_namespace_of_the_current_context_counts(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        "current-context: eu\ncontexts:\n- name: eu\n  context:\n    namespace: live-shop\n"
    )
    context = load_context(str(tmp_path), {"KUBECONFIG": str(config)})
    verdict = judge_with(kubernetes, "kubectl delete svc api", context)
    assert verdict is not None and verdict.decision == "deny"
    assert "namespace 'live-shop'" in verdict.reason


def test_kubectl_context_from_an_assignment(context: GuardContext, tmp_path: Path) -> None:
    config = tmp_path / "prod.yaml"
    config.write_text("current-context: prod\n")
    verdict = judge_with(
        kubernetes, "kubectl delete deploy api", context, env={"KUBECONFIG": str(config)}
    )
    assert verdict is not None and verdict.decision == "deny"


def test_system_namespace_reason(context: GuardContext) -> None:
    verdict = judge_with(kubernetes, "kubectl delete ns kube-system", context)
    assert verdict is not None
    assert verdict.rule == "kubernetes.delete-system-namespace"
    assert "kube-system" in verdict.reason


MANIFESTS = {
    "namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n",
    "app.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    ),
    "prod-app.yaml": "kind: Deployment\nmetadata: {name: web, namespace: prod}\n",
    "list.json": json.dumps(
        {"kind": "List", "items": [{"kind": "CustomResourceDefinition",
                                    "metadata": {"name": "widgets.example.com"}}]}
    ),
    "broken.yaml": "kind: [unclosed\n",
}  # fmt: skip


@pytest.mark.parametrize(
    ("files", "expected", "rule"),
    [
        ("namespace.yaml", "deny", "kubernetes.delete-namespace"),
        ("app.yaml", "ask", "kubernetes.delete-resource"),
        ("prod-app.yaml", "deny", "kubernetes.delete-resource"),
        ("list.json", "deny", "kubernetes.delete-crd"),
        ("broken.yaml", "ask", "kubernetes.delete-manifests"),
        ("missing.yaml", "ask", "kubernetes.delete-manifests"),
        ("manifests", "deny", "kubernetes.delete-namespace"),  # a directory of them
    ],
)
def test_delete_reads_the_manifests_it_is_given(
    files: str, expected: str, rule: str, context: GuardContext, tmp_path: Path
) -> None:
    (tmp_path / "manifests").mkdir()
    for name, text in MANIFESTS.items():
        (tmp_path / name).write_text(text)
        if name in ("namespace.yaml", "app.yaml"):
            (tmp_path / "manifests" / name).write_text(text)
    verdict = judge_with(kubernetes, f"kubectl delete -f {files}", context)
    assert verdict is not None and (verdict.decision, verdict.rule) == (expected, rule)


def test_other_programs_are_not_kubernetes(context: GuardContext) -> None:
    assert judge_with(kubernetes, "echo kubectl delete ns prod", context) is None
    assert judge_with(kubernetes, "kubectl", context) is None


CLOUD_CASES = [
    # Reading.
    ("aws rds describe-db-instances", None),
    ("aws s3 ls s3://backups", None),
    ("aws s3 cp report.csv s3://reports/", None),
    ("aws ec2 describe-instances --profile prod", None),
    ("aws dynamodb scan --table-name orders", None),
    ("gcloud sql instances list", None),
    ("gcloud container clusters get-credentials prod --zone europe-west1-b", None),
    ("gcloud storage ls gs://bucket", None),
    ("gsutil ls gs://bucket", None),
    ("az group list", None),
    ("az vm show -g rg -n vm1", None),
    # AWS.
    ("aws rds delete-db-instance --db-instance-identifier orders --skip-final-snapshot", "deny"),
    ("aws rds delete-db-cluster --db-cluster-identifier orders", "deny"),
    ("aws dynamodb delete-table --table-name orders", "deny"),
    ("aws s3 rb s3://bucket --force", "deny"),
    ("aws s3 rb s3://bucket", "ask"),
    ("aws s3 rm s3://bucket/logs --recursive", "deny"),
    ("aws s3 rm s3://bucket/logs --recursive --dryrun", None),
    ("aws s3 rm s3://bucket/key.txt", "ask"),
    ("aws s3 sync ./site s3://bucket --delete", "ask"),
    ("aws s3 sync ./site s3://bucket", None),
    ("aws s3api delete-bucket --bucket bucket", "deny"),
    ("aws ec2 terminate-instances --instance-ids i-0abc", "deny"),
    ("aws ec2 terminate-instances --instance-ids i-0abc --profile dev", "ask"),
    ("aws ec2 stop-instances --instance-ids i-0abc", "ask"),
    ("aws ec2 stop-instances --instance-ids i-0abc --profile prod", "ask"),  # can be undone
    ("aws ecs update-service --cluster c --service api --desired-count 0", "ask"),
    ("aws ecs update-service --cluster c --service api --desired-count 3", None),
    ("aws rds modify-db-instance --db-instance-identifier db --no-deletion-protection", "ask"),
    ("aws rds modify-db-instance --db-instance-identifier db --allocated-storage 100", None),
    ("aws iam attach-role-policy --role-name ci --policy-arn arn:aws:iam::aws:policy/Admin", "ask"),
    ("aws cloudformation delete-stack help", None),
    ("aws s3 rm help", None),
    ("aws --profile prod ec2 terminate-instances --instance-ids i-0abc", "deny"),
    ("aws ec2 terminate-instances --instance-ids i-0abc --dry-run", None),
    ("aws eks delete-cluster --name main", "deny"),
    ("aws cloudformation delete-stack --stack-name web", "deny"),
    ("aws route53 delete-hosted-zone --id Z123", "deny"),
    ("aws kms schedule-key-deletion --key-id k --pending-window-in-days 7", "deny"),
    ("aws iam delete-role --role-name deployer", "ask"),
    ("aws lambda delete-function --function-name f", "ask"),
    ("aws sqs delete-queue --queue-url https://sqs/q", "ask"),
    ("aws apigateway delete-rest-api --rest-api-id x", "ask"),  # not in the table: asked
    # Google Cloud.
    ("gcloud sql instances delete orders", "deny"),
    ("gcloud sql instances delete orders-dev", "ask"),
    ("gcloud beta container clusters delete main --zone europe-west1-b", "deny"),
    ("gcloud projects delete shop-42", "deny"),
    ("gcloud compute instances delete vm-1 --zone z", "deny"),
    ("gcloud compute instances stop vm-1 --zone z", "ask"),
    ("gcloud sql instances delete orders --help", None),
    ("gcloud dns record-sets delete www.example.com. --zone=main --type=A", "deny"),
    ("gcloud storage rm -r gs://bucket/dir", "deny"),
    ("gcloud storage rm gs://bucket/one.txt", "ask"),
    ("gcloud storage buckets delete gs://bucket", "deny"),
    ("gsutil -m rm -r gs://bucket/dir", "deny"),
    ("gsutil rm -rf gs://bucket/dir", "deny"),
    ("gsutil rm gs://bucket/one.txt", "ask"),
    ("gsutil rb gs://bucket", "deny"),
    ("bq rm -r -f shop_dataset", "deny"),
    # Azure.
    ("az group delete -n rg-shop --yes", "deny"),
    ("az group delete -n rg-sandbox --yes", "ask"),
    ("az sql db delete -g rg -s srv -n orders", "deny"),
    ("az aks delete -g rg -n main", "deny"),
    ("az storage account delete -n store -g rg", "deny"),
    ("az network dns record-set a delete -g rg -z example.com -n www", "deny"),
    ("az vm delete -g rg -n vm1", "deny"),
    ("az vm deallocate -g rg -n vm1", "ask"),
    ("az group delete -n rg-shop -h", None),
    ("gsutil -h Cache-Control:no-cache rm -r gs://bucket/dir", "deny"),
    ("az deployment group create -g rg --template-file t.json --mode Complete", "ask"),
    ("az deployment group create -g rg --template-file t.json --mode Incremental", None),
]


@pytest.mark.parametrize(("command", "expected"), CLOUD_CASES)
def test_cloud(command: str, expected: str | None, context: GuardContext) -> None:
    assert decision(judge_with(cloud, command, context)) == expected


def test_aws_profile_variable_weighs_thedecision(context: GuardContext) -> None:
    command = "aws lambda delete-function --function-name f"
    production = judge_with(cloud, command, context, env={"AWS_PROFILE": "live-admin"})
    assert production is not None and production.decision == "deny"
    assert "AWS profile 'live-admin' (from AWS_PROFILE)" in production.reason
    safe = judge_with(cloud, command, context, env={"AWS_PROFILE": "sandbox"})
    assert safe is not None and safe.decision == "allow"
    assert "AWS profile 'sandbox'" in safe.reason
    # A data-destroying operation is never lowered below ask.
    table = judge_with(
        cloud, "aws dynamodb delete-table --table-name t", context, env={"AWS_PROFILE": "dev"}
    )
    assert table is not None and table.decision == "ask"


def test_gcloud_project_from_configuration_raises(tmp_path: Path) -> None:
    configurations = tmp_path / "gcloud" / "configurations"
    configurations.mkdir(parents=True)
    (configurations / "config_default").write_text("[core]\nproject = shop-prod\n")
    context = load_context(str(tmp_path), {"CLOUDSDK_CONFIG": str(tmp_path / "gcloud")})
    verdict = judge_with(cloud, "gcloud compute instances delete vm-1", context)
    assert verdict is not None and verdict.decision == "deny"
    assert "gcloud project 'shop-prod'" in verdict.reason


def _change_batch(action: str) -> str:
    change = {"Action": action, "ResourceRecordSet": {"Name": "api.example.com.", "Type": "A"}}
    return json.dumps({"Comment": "cleanup", "Changes": [change]})


def test_route53_change_batch_inline(context: GuardContext) -> None:
    base = "aws route53 change-resource-record-sets --hosted-zone-id Z1 --change-batch "
    deleting = judge_with(cloud, base + shlex.quote(_change_batch("DELETE")), context)
    assert deleting is not None and deleting.decision == "deny"
    assert "A api.example.com." in deleting.reason
    upserting = judge_with(cloud, base + shlex.quote(_change_batch("UPSERT")), context)
    assert upserting is not None and upserting.decision == "ask"
    assert "deletes" not in upserting.reason


def test_route53_change_batch_from_a_file(context: GuardContext, tmp_path: Path) -> None:
    (tmp_path / "batch.json").write_text(_change_batch("DELETE"))
    command = "aws route53 change-resource-record-sets --hosted-zone-id Z1 --change-batch "
    verdict = judge_with(cloud, command + "file://batch.json", context)
    assert verdict is not None and verdict.decision == "deny"
    missing = judge_with(cloud, command + "file://missing.json", context)
    assert missing is not None and missing.decision == "ask"
    assert "not readable" in missing.reason


def test_operation_table_is_well_formed() -> None:
    table = tomllib.loads(
        (Path(cloud.__file__).with_name("cloud_operations.toml")).read_text(encoding="utf-8")
    )
    assert set(table) == {"aws", "gcloud", "gsutil", "bq", "az"}
    for program, entries in table.items():
        seen_bare: set[str] = set()
        for entry in entries:
            keys = {"command", "with", "decision", "destroys", "check", "ceiling"}
            assert set(entry) <= keys, entry
            assert entry["decision"] in ("deny", "ask"), entry
            assert entry.get("ceiling", "deny") in ("deny", "ask"), entry
            assert entry["command"].split() and entry["destroys"].strip(), entry
            # An entry with `with` must come before the same command without it, or never match.
            if "with" in entry:
                assert entry["command"] not in seen_bare, (program, entry)
            else:
                seen_bare.add(entry["command"])


# --- End to end: G1's parser and engine in front of the four infrastructure families ----------

END_TO_END = [
    ("kubectl get ns prod", "allow", "default.allow"),
    ("aws rds describe-db-instances --profile prod", "allow", "default.allow"),
    ("sudo kubectl delete ns payments", "deny", "kubernetes.delete-namespace"),
    ('bash -c "kubectl delete ns payments"', "deny", "kubernetes.delete-namespace"),
    ("kubectl get pods -n shop && kubectl delete crd widgets.example.com", "deny",
     "kubernetes.delete-crd"),
    ("AWS_PROFILE=prod aws ec2 terminate-instances --instance-ids i-1", "deny",
     "cloud.aws-ec2-terminate-instances"),
    ("AWS_PROFILE=sandbox aws ec2 terminate-instances --instance-ids i-1", "ask",
     "cloud.aws-ec2-terminate-instances"),
    ("AWS_PROFILE=sandbox aws ec2 stop-instances --instance-ids i-1", "allow",
     "cloud.aws-ec2-stop-instances"),
    ("AWS_PROFILE=prod aws ec2 stop-instances --instance-ids i-1", "ask",
     "cloud.aws-ec2-stop-instances"),
    ('kubectl exec -it db-0 -- psql -c "DROP TABLE users"', "deny", "database.sql-drop-table"),
    ("kubectl exec db-0 -- ls /", "allow", "default.allow"),
    ("timeout 60 terraform destroy -auto-approve", "deny", "terraform.destroy"),
    ("terraform plan -destroy -out=tfplan", "allow", "default.allow"),
    ('echo "DROP TABLE users"', "allow", "default.allow"),
    ('git commit -m "terraform destroy; DROP TABLE users"', "allow", "default.allow"),
    ('echo "DROP TABLE users" | psql shop', "deny", "database.sql-drop-table"),
    ("psql shop <<'SQL'\nDROP TABLE users;\nSQL\n", "deny", "database.sql-drop-table"),
    ("psql shop <<'SQL'\nSELECT count(*) FROM users;\nSQL\n", "allow", "default.allow"),
    ("redis-cli <<< FLUSHALL", "deny", "database.redis-flushall"),
    ("redis-cli --scan --pattern 'user:*' | xargs redis-cli del", "ask",
     "database.redis-bulk-delete"),
    ("ssh bastion 'psql -c \"DROP DATABASE shop\"'", "deny", "database.sql-drop-database"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "decision", "rule"), END_TO_END)
def test_end_to_end(command: str, decision: str, rule: str, tmp_path: Path) -> None:
    from handrail.guard.engine import context_for, decide_command

    context = context_for(str(tmp_path), {"HOME": str(tmp_path)})
    verdict = decide_command(command, context)
    assert (verdict.decision, verdict.rule) == (decision, rule), verdict.reason


def test_end_to_end_directory_after_cd_names_the_environment(tmp_path: Path) -> None:
    from handrail.guard.engine import context_for, decide_command

    (tmp_path / ".git").mkdir()
    (tmp_path / "envs" / "prod").mkdir(parents=True)
    context = context_for(str(tmp_path), {"HOME": str(tmp_path)})
    verdict = decide_command("cd envs/prod && terraform destroy", context)
    assert (verdict.decision, verdict.rule) == ("deny", "terraform.destroy")
    assert "directory 'envs/prod'" in verdict.reason
