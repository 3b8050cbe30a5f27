"""Errors the CLI turns into one clear line instead of a traceback."""


class UserError(Exception):
    """Something the user can fix: bad input, unknown name, missing file.

    The CLI prints ``error: <message>`` and exits non-zero; ``--debug`` shows the traceback.
    """


class SpecError(UserError):
    """A plugin registered a malformed or duplicate item."""


class TrainingDiverged(UserError):
    """The loss became NaN/inf; training stops and no checkpoint of the bad state is written."""
