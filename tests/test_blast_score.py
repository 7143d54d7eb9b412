"""The blast-radius score: every point explained."""

from __future__ import annotations

from handrail.blast.score import blast_score


def test_score_adds_explained_parts_largest_first() -> None:
    score, parts = blast_score(
        [("checkout", 0, False), ("docs", 3, True), ("mystery", None, True)],
        [("destructive", "aws_db_instance.main will be replaced")],
        [(".github/workflows/ci.yml", "CI pipelines")],
    )
    assert [(p.points, p.why) for p in parts] == [
        (50, "aws_db_instance.main will be replaced"),
        (25, "changes a safeguard: .github/workflows/ci.yml (CI pipelines)"),
        (20.0, "checkout (tier 0) reached through imports"),
        (20, "mystery (tier unknown, scored as tier 1) changed"),
        (1, "docs (tier 3) changed"),
    ]
    assert score == 116


def test_nothing_scores_nothing() -> None:
    assert blast_score([], [], []) == (0, [])
