from handrail.cli import entry

entry()
