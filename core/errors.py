"""Errors the CLI turns into one clear line instead of a traceback."""


def first_line(exc: BaseException) -> str:
    """An exception's first message line (its type name if it has none): what a one-line error
    quotes from a failure it wraps."""
    return (str(exc).splitlines() or [type(exc).__name__])[0]


class UserError(Exception):
    """Something the user can fix: bad input, unknown name, missing file.

    The CLI prints ``error: <message>`` and exits non-zero; ``--debug`` shows the traceback.
    """


class Unavailable(UserError):
    """Something an item needs is not installed on this machine (e.g. the GnuGo program for
    the ``gnugo`` opponent). Using it is an error; ``agentctl check-plugin`` reports the item
    as SKIP with this message, since the plugin itself is not at fault."""


class SpecError(UserError):
    """A plugin registered a malformed or duplicate item."""


class EnvFailed(UserError):
    """The env raised while stepping (or produced NaN observations): a bug on the env's side,
    reported as one line naming it; ``agentctl --debug`` shows the env's own traceback."""


class TrainingDiverged(UserError):
    """The loss became NaN/inf; training stops and no checkpoint of the bad state is written."""


class Interrupted(KeyboardInterrupt):
    """A stop signal (Ctrl-C, SIGTERM, SIGHUP) that ends a command before it could finish
    cleanly; ``message`` says what was kept. The CLI exits with 128 + the signal number."""

    def __init__(self, signum: int, message: str = "") -> None:
        super().__init__(message)
        self.signum = signum
        self.message = message
