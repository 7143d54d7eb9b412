"""One module per subcommand. Each has NAME, SUMMARY, EXAMPLES, add_arguments() and run()."""

from handrail.commands import config, history, init, people

COMMANDS = (history, people, init, config)
