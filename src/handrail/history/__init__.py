"""The history engine: the one way every analysis reads git history."""

from handrail.history.engine import History, MiningReport, Progress, read_commits, read_history

__all__ = ["History", "MiningReport", "Progress", "read_commits", "read_history"]
