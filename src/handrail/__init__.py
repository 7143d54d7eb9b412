"""Handrail: risk-proportional safeguards for AI-assisted software engineering."""

__version__ = "0.1.0"
