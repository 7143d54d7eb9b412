"""Blast radius: how far a change can reach (components, dependents, destructive actions)."""
