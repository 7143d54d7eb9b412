"""The agent action guard: parse a command, judge it, answer allow / ask / deny."""
