"""Policy: declarative rules (CEL conditions) that turn a change's facts into required controls."""
