"""Renderers: turn a command's result into text or JSON. They compute nothing."""
