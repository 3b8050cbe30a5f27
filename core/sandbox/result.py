"""What running one program in the sandbox produced."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["STATUSES", "TEST_OUTCOMES", "Result", "TestOutcome"]

# ok: a plain program exited 0, or every test passed.
# failed: a plain program exited non-zero without an exception, or some test did not pass.
# error: an uncaught exception (plain program, or while defining the tested code), or the
#   program ended before the harness could report on every test (sys.exit / os._exit).
# syntax_error: the program does not compile. timeout: wall clock or CPU limit. oom: the memory
#   limit (MemoryError). output_limit: stdout or stderr passed the cap. killed: ended by a signal.
STATUSES = ("ok", "failed", "error", "syntax_error", "timeout", "oom", "output_limit", "killed")
# Per test: passed; failed (AssertionError); error (any other exception); timeout (its own
# time limit); not_run (the program ended, or was stopped, before this test could finish).
TEST_OUTCOMES = ("passed", "failed", "error", "timeout", "not_run")


@dataclass
class TestOutcome:
    """One test's fate; ``error`` is the exception's ``Type: message`` (short), if any."""

    __test__ = False  # not a pytest class

    test: str
    outcome: str
    error: str = ""


@dataclass
class Result:
    """The outcome of one program: ``status`` (see ``STATUSES``), the exit code (negative: the
    signal that ended it), both output streams (capped), wall time, the sandbox used, the
    per-test outcomes when tests were given (in the order given), and for a syntax error the
    line it was found on."""

    status: str
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    backend: str
    tests: list[TestOutcome] = field(default_factory=list)
    detail: str = ""
    error_line: int | None = None  # syntax_error: the line of main.py where compiling failed

    @property
    def passed(self) -> int:
        return sum(t.outcome == "passed" for t in self.tests)

    @property
    def pass_fraction(self) -> float:
        """Share of the tests that passed (0 when no tests were given)."""
        return self.passed / len(self.tests) if self.tests else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
