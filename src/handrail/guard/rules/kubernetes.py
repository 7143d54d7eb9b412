"""Kubernetes and Helm: deletes that take data or whole namespaces with them, weighed by context.

The environment is the strictest of the kube context (`--context`, else the kubeconfig's
current-context), the namespace (`-n`, else the context's) and the names the command targets:
`kubectl delete deployment api` is fine on a dev cluster and asked on production.
"""

from __future__ import annotations

from typing import NamedTuple

from handrail.guard.context import (
    Environment,
    Options,
    Setting,
    classify,
    for_invocation,
    judged,
    kube_context,
    kube_namespace,
    parse_options,
    resolve_path,
)
from handrail.guard.model import Decision, GuardContext, Invocation, Verdict

FAMILY = "kubernetes"
RULES = {
    "kubernetes.delete-namespace": "kubectl/oc delete of a namespace or project",
    "kubernetes.delete-system-namespace": "delete of kube-system and the other system namespaces",
    "kubernetes.delete-crd": "delete of a custom resource definition (every resource of its kind)",
    "kubernetes.delete-all": "delete with --all, -A or a selector, or of `all`",
    "kubernetes.delete-volume": "delete of a persistent volume or claim",
    "kubernetes.delete-node": "delete of a node",
    "kubernetes.delete-statefulset": "delete of a stateful set",
    "kubernetes.delete-secret": "delete of a secret",
    "kubernetes.delete-pod": "delete of a pod",
    "kubernetes.delete-resource": "delete of any other kind",
    "kubernetes.delete-manifests": "delete -f / -k: what the manifests name",
    "kubernetes.drain": "kubectl drain",
    "kubernetes.cordon": "kubectl cordon",
    "kubernetes.scale-to-zero": "kubectl scale --replicas=0",
    "kubernetes.apply-prune": "kubectl apply --prune",
    "kubernetes.replace-force": "kubectl replace --force",
    "kubernetes.production-change": "a change (apply, patch, helm upgrade…) in production",
    "kubernetes.helm-uninstall": "helm uninstall",
}

# kubectl/oc options that take a value, so the value is not mistaken for a resource name.
# fmt: off
_KUBECTL_VALUED = (
    "context", "n", "namespace", "kubeconfig", "cluster", "user", "s", "server", "token", "as",
    "as-group", "as-uid", "request-timeout", "cache-dir", "certificate-authority",
    "client-certificate", "client-key", "tls-server-name", "password", "username", "v", "f",
    "filename", "k", "kustomize", "l", "selector", "o", "output", "field-selector",
    "grace-period", "timeout", "replicas", "cascade", "c", "container", "prune-allowlist",
    "current-replicas", "resource-version", "for", "since", "tail", "type", "patch",
)
# fmt: on
# fmt: off
_HELM_VALUED = (
    "kube-context", "n", "namespace", "kubeconfig", "f", "values", "set", "set-string",
    "set-file", "set-json", "version", "timeout", "o", "output", "repo", "description",
    "post-renderer", "registry-config", "repository-cache", "repository-config", "kube-token",
    "kube-apiserver", "kube-as-user", "kube-as-group", "kube-ca-file", "burst-limit", "qps",
)
# fmt: on

# Commands that only read: never judged.
# fmt: off
_READ_ONLY = frozenset((
    "get", "describe", "logs", "top", "explain", "api-resources", "api-versions", "version",
    "cluster-info", "config", "diff", "auth", "events", "wait", "completion", "plugin",
    "kustomize", "port-forward", "proxy", "help", "options", "whoami", "status", "project",
    "projects",
))
# fmt: on
# fmt: off
_MUTATING = frozenset((
    "apply", "create", "patch", "edit", "set", "label", "annotate", "rollout", "expose",
    "autoscale", "run", "cp", "replace", "scale", "exec", "attach", "debug", "taint",
    "uncordon",
))
# fmt: on
# System namespaces: deleting them, or anything in them, breaks the whole cluster.
_CRITICAL_NAMESPACES = frozenset(
    {"kube-system", "kube-public", "kube-node-lease", "default", "istio-system"}
)


class _Kind(NamedTuple):
    """What a kubectl command does to what it names, and how its decision may move."""

    rule: str
    base: Decision
    floor: Decision  # what a safe environment can lower it to
    effect: str
    ceiling: Decision = "deny"  # what production can raise it to


_NAMESPACE = _Kind(
    "kubernetes.delete-namespace", "deny", "ask", "deletes the namespace and every object in it"
)
# Resource kinds by every name kubectl accepts (singular, plural, short, with API group).
_KINDS: dict[str, _Kind] = {
    **dict.fromkeys(("namespace", "namespaces", "ns", "project", "projects"), _NAMESPACE),
    **dict.fromkeys(
        ("customresourcedefinition", "customresourcedefinitions", "crd", "crds"),
        _Kind(
            "kubernetes.delete-crd",
            "deny",
            "ask",
            "deletes the custom resource definition and every resource of that kind, cluster-wide",
        ),
    ),
    **dict.fromkeys(
        ("all",),
        _Kind(
            "kubernetes.delete-all",
            "deny",
            "ask",
            "deletes every workload, service and pod it selects",
        ),
    ),
    **dict.fromkeys(
        (
            "persistentvolume",
            "persistentvolumes",
            "pv",
            "persistentvolumeclaim",
            "persistentvolumeclaims",
            "pvc",
        ),
        _Kind(
            "kubernetes.delete-volume",
            "ask",
            "ask",
            "can delete the volume and its data (reclaim policy Delete)",
        ),
    ),
    **dict.fromkeys(
        ("node", "nodes", "no"),
        _Kind(
            "kubernetes.delete-node", "ask", "ask", "removes the node and evicts what runs on it"
        ),
    ),
    **dict.fromkeys(
        ("statefulset", "statefulsets", "sts"),
        _Kind(
            "kubernetes.delete-statefulset",
            "ask",
            "allow",
            "deletes the stateful set (its volumes stay)",
        ),
    ),
    **dict.fromkeys(
        ("secret", "secrets"),
        _Kind(
            "kubernetes.delete-secret",
            "ask",
            "allow",
            "deletes the secret, which cannot be read back afterwards",
        ),
    ),
    **dict.fromkeys(
        ("pod", "pods", "po"),
        _Kind(
            "kubernetes.delete-pod",
            "allow",
            "allow",
            "deletes the pod (its controller, if any, starts a new one)",
        ),
    ),
}
_OTHER = _Kind("kubernetes.delete-resource", "ask", "allow", "deletes the {kind}")


def judge(invocation: Invocation, context: GuardContext) -> Verdict | None:
    context = for_invocation(context, invocation)
    if invocation.program in ("kubectl", "oc", "kubecolor"):
        return _kubectl(invocation, context)
    if invocation.program == "helm":
        return _helm(invocation, context)
    return None


def _kubectl(invocation: Invocation, context: GuardContext) -> Verdict | None:
    options = parse_options(invocation.args, _KUBECTL_VALUED)
    words = list(options.positionals)
    if words[:1] == ["adm"]:  # oc adm drain NODE
        words = words[1:]
    if not words or words[0] in _READ_ONLY or _dry_run(options) or options.has("help", "h"):
        return None
    verb, rest = words[0], words[1:]
    if verb == "rollout" and rest[:1] in (["status"], ["history"]):
        return None
    deleting = verb in ("delete", "drain", "cordon")
    # Manifest paths name environments too: `delete -k overlays/production`.
    sources = options.all_values("f", "filename", "k", "kustomize")
    environment = _environment(context, options, "context", rest + sources, deleting)
    shown = invocation.source
    if verb == "delete":
        manifests = _manifest_targets(context, options) if not rest else None
        if manifests:
            names = [name for pair in manifests for name in pair[1:]] + sources
            environment = _environment(context, options, "context", names, deleting)
            return _delete(invocation, options, [f"{kind}/{name}" for kind, name, _ in manifests],
                           environment)  # fmt: skip
        return _delete(invocation, options, rest, environment)
    change = _verb_change(verb, options)
    if change is not None:
        what = f"`{shown}` {change.effect}"
        return judged(change.rule, change.base, environment, what, change.floor, change.ceiling)
    if verb == "exec" and invocation.args.count("--"):
        inside = _inside_pod(invocation, context)
        if inside is not None:
            return inside
    if verb in _MUTATING and environment.kind == "production":
        return judged(
            "kubernetes.production-change",
            "allow",
            environment,
            f"`{shown}` changes a production cluster",
        )
    return None


def _verb_change(verb: str, options: Options) -> _Kind | None:
    """What drain, cordon, scale to zero, apply --prune and replace --force do."""
    if verb == "drain":
        return _Kind("kubernetes.drain", "ask", "ask", "evicts every pod from the node", "ask")
    if verb == "cordon":
        return _Kind("kubernetes.cordon", "ask", "allow", "stops scheduling on the node", "ask")
    if verb == "scale" and options.value("replicas") == "0":
        return _Kind("kubernetes.scale-to-zero", "ask", "allow", "stops every replica", "ask")
    if verb == "apply" and options.has("prune"):
        effect = "deletes every object the manifests no longer name"
        return _Kind("kubernetes.apply-prune", "ask", "ask", effect)
    if verb == "replace" and options.has("force"):
        effect = "deletes the objects and creates them anew"
        return _Kind("kubernetes.replace-force", "ask", "allow", effect)
    return None


def _inside_pod(invocation: Invocation, context: GuardContext) -> Verdict | None:
    """`kubectl exec POD -- CMD…` runs CMD in the pod: judge CMD like any command."""
    import shlex

    from handrail.guard.engine import decide_command

    args = list(invocation.args)
    inner = args[args.index("--") + 1 :]
    if not inner:
        return None
    verdict = decide_command(shlex.join(inner), context)
    if verdict.decision == "allow":
        return None
    return Verdict(verdict.decision, verdict.rule, f"inside the pod: {verdict.reason}")


def _delete(
    invocation: Invocation, options: Options, rest: list[str], environment: Environment
) -> Verdict:
    targets = _targets(rest)
    namespaces = [name for kind, name in targets if _KINDS.get(kind) is _NAMESPACE]
    critical = sorted(set(namespaces) & _CRITICAL_NAMESPACES)
    if critical:
        return Verdict(
            "deny",
            "kubernetes.delete-system-namespace",
            f"`{invocation.source}` deletes the system namespace {', '.join(critical)}, "
            "which the cluster itself needs.",
        )
    if not targets:  # -f FILE, -k DIR: the manifests say what goes
        what = (
            "the objects its manifests name"
            if options.has("f", "filename", "k", "kustomize")
            else "what it selects"
        )
        return judged(
            "kubernetes.delete-manifests",
            "ask",
            environment,
            f"`{invocation.source}` deletes {what}",
            floor="ask",
        )
    kinds = [_KINDS.get(kind, _OTHER) for kind, _ in targets]
    strictest = max(kinds, key=lambda kind: (_rank(kind.base), _rank(kind.floor)))
    base, floor = strictest.base, strictest.floor
    wide = [f"--{flag}" for flag in ("all", "all-namespaces") if options.has(flag)]
    wide += ["-A"] if options.has("A") else []
    wide += ["a label selector"] if options.has("l", "selector") else []
    scope = ""
    if wide:  # many objects at once: one step stricter
        base, floor = ("deny", "ask") if base != "allow" else ("ask", floor)
        scope = f" ({' and '.join(wide)}: every match)"
    kind_name = targets[kinds.index(strictest)][0]
    effect = strictest.effect.format(kind=kind_name)
    rule = "kubernetes.delete-all" if wide and strictest is not _NAMESPACE else strictest.rule
    return judged(rule, base, environment, f"`{invocation.source}` {effect}{scope}", floor=floor)


def _manifest_targets(context: GuardContext, options: Options) -> list[tuple[str, str, str]] | None:
    """(kind, name, namespace) of every object in the `-f` files; None if any is unreadable."""
    paths = options.all_values("f", "filename")
    if not paths or options.has("k", "kustomize") or any("://" in p or p == "-" for p in paths):
        return None
    import yaml  # only for `delete -f`: the manifests say what goes

    found = []
    for path in paths:
        resolved = resolve_path(context, path)
        files = sorted(
            file for file in (resolved.iterdir() if resolved.is_dir() else [resolved])
            if file.suffix in (".yaml", ".yml", ".json")
        )  # fmt: skip
        for file in files:
            try:
                documents = list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                return None
            for document in documents:
                items = document.get("items") if isinstance(document, dict) else None
                for item in items if isinstance(items, list) else [document]:
                    if isinstance(item, dict) and isinstance(item.get("kind"), str):
                        metadata = item.get("metadata")
                        metadata = metadata if isinstance(metadata, dict) else {}
                        found.append((
                            item["kind"].lower(),
                            str(metadata.get("name", "")),
                            str(metadata.get("namespace", "")),
                        ))  # fmt: skip
    return found or None


def _targets(rest: list[str]) -> list[tuple[str, str]]:
    """(kind, name) pairs from `TYPE NAME…`, `TYPE/NAME…` or `TYPE1,TYPE2 NAME`; name may be ""."""
    if not rest:
        return []
    if "/" in rest[0]:
        pairs = [word.split("/", 1) for word in rest]
        return [(_kind_name(kind), name) for kind, name in pairs]
    kinds = [_kind_name(kind) for kind in rest[0].split(",") if kind]
    names = rest[1:] or [""]
    return [(kind, name) for kind in kinds for name in names]


def _kind_name(word: str) -> str:
    return word.lower().split(".", 1)[0]  # deployments.apps → deployments


def _rank(decision: Decision) -> int:
    return ("allow", "ask", "deny").index(decision)


def _dry_run(options: Options) -> bool:
    value = options.value("dry-run")
    return options.has("dry-run") and value != "none"


def _environment(
    context: GuardContext, options: Options, flag: str, names: list[str], deleting: bool
) -> Environment:
    """The strictest of context, namespace and target names. The namespace a kubeconfig context
    sets needs a full YAML parse: read only for deletes, not for every apply."""
    current = kube_context(context, options, flag)
    namespace = kube_namespace(context, options, None)  # the flag's, if any
    targets = [Setting("target", name, "the command line") for name in names if name]
    cheap = classify([current, namespace, *targets], context)
    if namespace is None and deleting and cheap.kind != "production":
        namespace = kube_namespace(context, options, current)
    if namespace is not None and namespace.value in _CRITICAL_NAMESPACES:
        return Environment("production", namespace)  # the cluster's own machinery
    return classify([current, namespace, *targets], context) if namespace else cheap


def _helm(invocation: Invocation, context: GuardContext) -> Verdict | None:
    options = parse_options(invocation.args, _HELM_VALUED)
    words = options.positionals
    if not words or options.has("dry-run", "help", "h"):
        return None
    if "kube-context" not in options.values and context.env.get("HELM_KUBECONTEXT"):
        options = Options(
            options.positionals,
            {**options.values, "kube-context": (context.env["HELM_KUBECONTEXT"],)},
            options.flags,
        )
    uninstall = words[0] in ("uninstall", "delete", "del", "un")
    environment = _environment(context, options, "kube-context", list(words[1:]), uninstall)
    if uninstall:
        releases = ", ".join(words[1:]) or "the release"
        return judged(
            "kubernetes.helm-uninstall",
            "ask",
            environment,
            f"`{invocation.source}` deletes {releases} and every object it installed",
        )
    if words[0] in ("install", "upgrade", "rollback") and environment.kind == "production":
        return judged(
            "kubernetes.production-change",
            "allow",
            environment,
            f"`helm {words[0]}` changes a production cluster",
        )
    return None
