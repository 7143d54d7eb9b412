"""Institutional knowledge: degree of authorship, truck factors, knowledge loss, hotspots."""
