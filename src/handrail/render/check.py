"""`handrail check` output: the JSON contract, and text, Markdown and SARIF made from it."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from typing import Any

from handrail import __version__
from handrail.render import json as json_out
from handrail.render.text import console, table

_HEADLINE = {
    "pass": "passes: no control is missing",
    "needs_approval": "needs approval",
    "block": "is blocked",
}


def _plain(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


def report(
    *,
    base: str,
    head: str,
    fork: str,
    decision: str,
    reasons: Sequence[str],
    provenance: Any,
    reached: Sequence[Any],
    destruction: Sequence[Any],
    safeguards: Sequence[Any],
    score: float,
    score_parts: Sequence[Any],
    controls: Sequence[Any],
    verdicts: Sequence[Any],
    files: Sequence[str],
) -> dict[str, Any]:
    """The JSON contract of `handrail check` (keys are stable; new ones may be added)."""

    def component(reach: Any) -> dict[str, Any]:
        c = reach.component
        return {
            "name": c.name,
            "tier": c.tier,
            "owners": list(c.owners),
            "source": c.source,
            "via": reach.via,
        }

    return {
        "decision": decision,
        "base": base,
        "head": head,
        "merge_base": fork,
        "files": list(files),
        "provenance": {
            "ai_assisted": provenance.ai_assisted,
            "verdict": provenance.verdict,
            "tools": list(provenance.tools),
            "strength": provenance.strength,
            "evidence": [_plain(e) for e in provenance.evidence],
            "caveats": list(provenance.caveats),
        },
        "blast_radius": {
            "score": score,
            "score_parts": [_plain(p) for p in score_parts],
            "components": [component(r) for r in reached if r.direct],
            "dependents": [component(r) for r in reached if not r.direct],
            "destructive": [_plain(d) for d in destruction],
            "safeguards": [_plain(s) for s in safeguards],
        },
        "required_controls": [
            {**_plain(c), "eligible": list(c.eligible), "counted": list(c.counted)}
            for c in controls
        ],
        "approvals": [
            {
                "approver": str(v.approval.approver),
                "person": v.person,
                "head": v.approval.head,
                "source": v.approval.source,
                "counts": v.counts,
                "why": v.why,
            }
            for v in verdicts
        ],
        "reasons": list(reasons),
    }


def emit(data: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        json_out.emit(data)
    elif fmt == "markdown":
        sys.stdout.write(markdown(data))
    elif fmt == "sarif":
        json_out.emit(sarif(data))
    else:
        text(data)


def _provenance_line(p: dict[str, Any]) -> str:
    if p["ai_assisted"] is None:
        return "provenance unknown (no evidence either way)"
    if not p["ai_assisted"]:
        return "not AI-assisted"
    tools = ", ".join(p["tools"]) or "unnamed tool"
    return f"AI-assisted ({tools}; {p['strength']} evidence)"


def text(data: dict[str, Any]) -> None:
    out = console()
    out.print(
        f"[bold]handrail check[/]: the change {data['merge_base'][:12]}..{data['head'][:12]}"
        f" {_HEADLINE[data['decision']]}"
    )
    out.print(f"{len(data['files'])} files; {_provenance_line(data['provenance'])}")
    blast = data["blast_radius"]
    parts = "; ".join(f"{p['why']} (+{p['points']:g})" for p in blast["score_parts"])
    out.print(f"blast radius {blast['score']:g}: {parts or 'nothing of note'}")
    controls = data["required_controls"]
    if controls:
        out.print(
            table(
                "required controls",
                ("rule", "for", "met", "why"),
                [
                    (
                        c["rule"],
                        c["component"] or "the change",
                        "yes" if c["satisfied"] else "NO",
                        c["why"],
                    )
                    for c in controls
                ],
            )
        )
    for approval in data["approvals"]:
        state = "counts" if approval["counts"] else "does not count"
        out.print(f"approval by {approval['approver']}: {state} ({approval['why']})")
    for caveat in data["provenance"]["caveats"]:
        out.print(f"[dim]note: {caveat}[/]")


def markdown(data: dict[str, Any]) -> str:
    """A pull-request comment."""
    lines = [f"### Handrail: this change {_HEADLINE[data['decision']]}", ""]
    lines.append(f"- **Provenance:** {_provenance_line(data['provenance'])}")
    blast = data["blast_radius"]
    lines.append(f"- **Blast radius:** {blast['score']:g}")
    lines += [f"  - {p['why']} (+{p['points']:g})" for p in blast["score_parts"]]
    if data["required_controls"]:
        lines += ["", "| control | for | met | why |", "|---|---|---|---|"]
        lines += [
            f"| `{c['rule']}` | {c['component'] or 'the change'} |"
            f" {'yes' if c['satisfied'] else '**no**'} | {c['why']} |"
            for c in data["required_controls"]
        ]
    if data["approvals"]:
        lines += ["", "**Approvals**", ""]
        lines += [
            f"- {a['approver']}: {'counts' if a['counts'] else 'does not count'} — {a['why']}"
            for a in data["approvals"]
        ]
    lines += [
        "",
        f"<sub>handrail {__version__} · base {data['base'][:12]} · head {data['head'][:12]}</sub>",
        "",
    ]
    return "\n".join(lines)


def sarif(data: dict[str, Any]) -> dict[str, Any]:
    """SARIF 2.1.0: unmet controls and destructive findings, for code-scanning dashboards."""
    results = []
    rules: dict[str, dict[str, Any]] = {}
    for control in data["required_controls"]:
        rules.setdefault(
            control["rule"],
            {"id": control["rule"], "shortDescription": {"text": control["description"]}},
        )
        if not control["satisfied"]:
            results.append(
                {
                    "ruleId": control["rule"],
                    "level": "error" if control["block"] else "warning",
                    "message": {"text": f"{control['description']} {control['why']}"},
                }
            )
    for finding in data["blast_radius"]["destructive"]:
        rule = f"destructive-{finding['kind']}"
        rules.setdefault(
            rule,
            {"id": rule, "shortDescription": {"text": f"destructive {finding['kind']} change"}},
        )
        location: dict[str, Any] = {"artifactLocation": {"uri": finding["source"]}}
        if finding.get("line"):
            location["region"] = {"startLine": finding["line"]}
        results.append(
            {
                "ruleId": rule,
                "level": "error" if finding["severity"] == "destructive" else "note",
                "message": {"text": finding["reason"]},
                "locations": [{"physicalLocation": location}],
            }
        )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "handrail",
                        "version": __version__,
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }
