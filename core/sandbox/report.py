"""Reading programs for the sandbox and showing a result to a person."""

from __future__ import annotations

from pathlib import Path

from agentctl.errors import UserError
from agentctl.sandbox.result import Result

__all__ = ["format_result", "read_source"]


def read_source(path: str) -> str:
    """A program or tests file as text, with one clear line for what cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None


def format_result(result: Result, width: int = 2000) -> str:
    """Status line, per-test outcomes, then the (capped) output streams."""
    head = f"status: {result.status}" + (f" ({result.detail})" if result.detail else "")
    lines = [head, f"returncode: {result.returncode}  duration: {result.duration_s:.3f} s  sandbox: {result.backend}"]
    if result.tests:
        lines.append(f"tests: {result.passed}/{len(result.tests)} passed")
        for t in result.tests:
            lines.append(f"  {t.outcome:8s} {t.test.splitlines()[0][:100]}" + (f"  -- {t.error}" if t.error else ""))
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if text:
            lines.append(f"--- {name} ---")
            lines.append(text[:width] + ("..." if len(text) > width else ""))
    return "\n".join(lines)
