"""The one error type a user can fix: the CLI prints its message and exits 2."""


class HandrailError(Exception):
    """A usage, configuration or input problem; the message names the file, line or field."""

    exit_code = 2
