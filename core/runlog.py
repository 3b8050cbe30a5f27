"""Where a run's numbers go: ``metrics.jsonl``, TensorBoard events and progress on stderr.

Progress goes to stderr so that ``--json`` keeps stdout for the machine-readable summary: a
live bar on a terminal, plain periodic lines when stderr is a file or a pipe (CI logs).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

from agentctl.errors import UserError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn


def truncate_metrics(path: Path, max_step: int) -> None:
    """Drop lines past ``max_step`` (written after the checkpoint we resume from)."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            if json.loads(line).get("global_step", 0) <= max_step:
                kept.append(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text("".join(f"{line}\n" for line in kept))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class RunLogger:
    """Appends one JSON line per update and mirrors scalars to TensorBoard."""

    def __init__(self, run_dir: Path, tensorboard: bool = True) -> None:
        self.run_dir = run_dir
        try:
            self._file = open(run_dir / "metrics.jsonl", "a", buffering=1)  # noqa: SIM115 (closed in close())
        except OSError as exc:
            raise UserError(f"could not write {run_dir / 'metrics.jsonl'}: {exc.strerror or exc}") from None
        self._tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(run_dir))
            except ImportError:  # tensorboard is a dependency, but a stripped env may lack it
                self._tb = None

    def log(self, metrics: dict[str, Any]) -> None:
        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in metrics.items()}
        try:
            self._file.write(json.dumps(clean) + "\n")
        except OSError as exc:  # e.g. a full disk: say so once, not as a chain of tracebacks
            raise UserError(f"could not write {self.run_dir / 'metrics.jsonl'}: {exc.strerror or exc}") from None
        if self._tb is not None:
            step = metrics["global_step"]
            for key, value in metrics.items():
                if key != "global_step" and isinstance(value, (int, float)) and value is not None:
                    self._tb.add_scalar(key, value, step)

    def close(self) -> None:
        """Best effort: called while an error may already be on its way to the user, whose
        message must not be buried under a second one from flushing to a full disk."""
        for close in (self._file.close, getattr(self._tb, "close", None)):
            if close is not None:
                try:
                    close()
                except OSError:
                    pass


class TrainProgress:
    """Steps, steps/s, mean return and ETA on stderr; silent when ``quiet``.

    On a terminal: a live rich bar. Otherwise (a log file, CI, a pipe) a live bar would show
    nothing until the end, so plain lines are printed instead: one at the first update, then at
    most one every ``AGENTCTL_PROGRESS_INTERVAL`` seconds (default 10), and a final one when
    the run ends normally.
    """

    def __init__(self, total: int, start: int = 0, quiet: bool = False, stream: IO[str] | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.live = not quiet and _isatty(self.stream)
        self.interval = _interval()
        self.t0 = time.monotonic()
        self.last_line: float | None = None  # when the last plain line was printed
        self.state: tuple[int, float, float | None] | None = None  # last (step, sps, return)
        self.progress: Progress | None = None
        if self.live:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.completed:,}/{task.total:,} steps"),
                TextColumn("{task.fields[sps]:,.0f} steps/s"),
                TextColumn("return {task.fields[ret]}"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self.task = self.progress.add_task("train", total=total, completed=start, sps=0.0, ret="-")

    def __enter__(self) -> TrainProgress:
        if self.progress is not None:
            self.progress.__enter__()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(exc_type, *exc)
        elif not self.quiet and exc_type is None and self.state is not None:
            step, sps, ret = self.state
            self._print(step, sps, ret, f"elapsed {format_duration(time.monotonic() - self.t0)}")

    def update(self, step: int, sps: float, mean_return: float | None) -> None:
        if self.quiet:
            return
        self.state = (step, sps, mean_return)
        if self.progress is not None:
            ret = "-" if mean_return is None else f"{mean_return:.2f}"
            self.progress.update(self.task, completed=step, sps=sps, ret=ret)
            return
        now = time.monotonic()
        if self.last_line is not None and now - self.last_line < self.interval:
            return
        self.last_line = now
        eta = format_duration((self.total - step) / sps) if sps > 0 and step < self.total else "-"
        self._print(step, sps, mean_return, f"eta {eta}")

    def _print(self, step: int, sps: float, mean_return: float | None, tail: str) -> None:
        pct = 100.0 * step / self.total if self.total > 0 else 100.0
        ret = "-" if mean_return is None else f"{mean_return:.2f}"
        print(f"agentctl: step {step:,}/{self.total:,} ({pct:.1f}%) {sps:,.0f} steps/s "
              f"mean_return {ret} {tail}", file=self.stream, flush=True)


def format_duration(seconds: float) -> str:
    """``3m55s``, ``1h02m``, ``12s``: short enough for a log line."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


def _interval() -> float:
    """Seconds between plain progress lines: ``AGENTCTL_PROGRESS_INTERVAL`` or 10."""
    raw = os.environ.get("AGENTCTL_PROGRESS_INTERVAL", "")
    try:
        return max(0.0, float(raw)) if raw.strip() else 10.0
    except ValueError:
        return 10.0
