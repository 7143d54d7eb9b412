"""Docs freshness: references docs make to code, checked against the code and its history."""
