"""Learning curves from ``metrics.jsonl`` (matplotlib is the optional ``plot`` extra).

Each row of ``metrics.jsonl`` is one update: ``global_step`` (env steps so far) and ``wall_s``
(seconds of training so far, continued across resumes), so a metric can be drawn against
either. Periodic evaluations are in only some rows; they are drawn as markers, and a metric
whose rows also carry ``<metric>_low``/``<metric>_high`` (``eval_win_rate``: the 95% Wilson
interval of the eval's games) gets that interval as a shaded band.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentctl.errors import UserError

# --x: which row field each axis reads, and how it is labelled (wall time is shown in minutes).
X_AXES = ("steps", "wall", "both")
_X_KEY = {"steps": "global_step", "wall": "wall_s"}
_X_LABEL = {"steps": "env steps", "wall": "wall-clock minutes"}


@dataclass
class Curve:
    """What is drawn for one metric of one run against one axis."""

    x: list[float]  # env steps, or wall-clock minutes
    y: list[float]
    low: list[float] | None  # the 95% interval, when every row carries <metric>_low/_high
    high: list[float] | None
    sparse: bool  # logged in only some rows (periodic evals): draw markers


def _number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def read_rows(run: Path) -> list[dict[str, Any]]:
    """The run's metrics rows; unparsable lines (a crash mid-write, stray bytes) are skipped."""
    path = run / "metrics.jsonl"
    if not path.exists():
        raise UserError(f"{run} has no metrics.jsonl (is it a run directory?)")
    try:
        text = path.read_text(errors="replace")  # bytes that are not text make lines that are skipped
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def curve(rows: list[dict[str, Any]], metric: str, x: str = "steps") -> Curve:
    """``metric`` against ``x`` ("steps" or "wall"), from the rows where both are numbers
    (a damaged row is skipped, as unparsable lines are)."""
    key = _X_KEY[x]
    timed = [r for r in rows if _number(r.get(key))]
    picked = [r for r in timed if _number(r.get(metric))]
    xs = [r[key] / 60 if x == "wall" else r[key] for r in picked]
    ys = [r[metric] for r in picked]
    low, high = f"{metric}_low", f"{metric}_high"
    banded = bool(picked) and all(_number(r.get(low)) and _number(r.get(high)) for r in picked)
    return Curve(xs, ys, [r[low] for r in picked] if banded else None, [r[high] for r in picked] if banded else None,
                 sparse=any(metric not in r for r in timed))


def _missing(runs: list[str], rows: list[list[dict[str, Any]]], metric: str, x: str) -> str:
    """One line for a panel with nothing to draw: which metrics the runs do have, or that
    the rows lack the axis's field."""
    have = sorted({k for rs in rows for r in rs for k, v in r.items() if _number(v)})
    if metric in have:
        return (f"no numeric {metric!r} values with a {_X_KEY[x]!r} in {', '.join(runs)}: "
                f"it cannot be drawn against {_X_LABEL[x]}")
    return f"no numeric {metric!r} values in {', '.join(runs)}; metrics there: {', '.join(have) or 'none'}"


def plot_runs(runs: list[str], output: str, metric: str | list[str] = "mean_return", x: str = "steps") -> str:
    """One row of panels per metric (a text run: ``["mean_return", "mean_kl"]``), one column
    per x axis (``x="both"``: env steps, then wall-clock minutes), one line per run."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError("plotting needs matplotlib: pip install 'agentctl[plot]'") from None
    from matplotlib.backend_bases import FigureCanvasBase

    if x not in X_AXES:
        raise UserError(f"--x {x!r}: use one of {', '.join(X_AXES)}")
    out = Path(output)
    if out.is_dir():
        raise UserError(f"-o {output} is a folder; give a file name such as {out / 'curves.png'}")
    if out.suffix and out.suffix[1:].lower() not in FigureCanvasBase.get_supported_filetypes():
        raise UserError(f"-o {output}: matplotlib cannot write {out.suffix!r} files; use .png, .svg or .pdf")
    if not out.parent.is_dir():
        raise UserError(f"-o {output}: folder {out.parent} does not exist")
    metrics = [metric] if isinstance(metric, str) else list(metric)
    columns = ["steps", "wall"] if x == "both" else [x]
    rows = [read_rows(Path(run)) for run in runs]
    fig, axes = plt.subplots(len(metrics), len(columns), figsize=(7 * len(columns), 3.2 * len(metrics)),
                             squeeze=False, sharex="col")
    try:
        for i, name in enumerate(metrics):
            for j, column in enumerate(columns):
                _panel(axes[i, j], runs, rows, name, column)
        for j, column in enumerate(columns):
            axes[-1, j].set_xlabel(_X_LABEL[column])
        fig.tight_layout()
        fig.savefig(output, dpi=120)
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return output


def _panel(ax: Any, runs: list[str], rows: list[list[dict[str, Any]]], metric: str, x: str) -> None:
    plotted, banded = 0, False
    for run, run_rows in zip(runs, rows):
        c = curve(run_rows, metric, x)
        if not c.x:
            continue
        (line,) = ax.plot(c.x, c.y, label=run, marker="o" if c.sparse else None, markersize=4)
        if c.low is not None:
            ax.fill_between(c.x, c.low, c.high, color=line.get_color(), alpha=0.2, linewidth=0)
            banded = True
        plotted += 1
    if not plotted:
        raise UserError(_missing(runs, rows, metric, x))
    ax.set_ylabel(f"{metric}\n(shaded: 95% interval)" if banded else metric)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
