"""Learning curves from ``metrics.jsonl`` (matplotlib is the optional ``plot`` extra)."""

from __future__ import annotations

import json
from pathlib import Path

from agentctl.errors import UserError


def read_metric(run: Path, metric: str) -> tuple[list[int], list[float]]:
    path = run / "metrics.jsonl"
    if not path.exists():
        raise UserError(f"{run} has no metrics.jsonl (is it a run directory?)")
    xs, ys = [], []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if row.get(metric) is not None:
            xs.append(row["global_step"])
            ys.append(row[metric])
    return xs, ys


def plot_runs(runs: list[str], output: str, metric: str = "mean_return") -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError("plotting needs matplotlib: pip install 'agentctl[plot]'") from None
    fig, ax = plt.subplots(figsize=(7, 4))
    plotted = 0
    for run in runs:
        xs, ys = read_metric(Path(run), metric)
        if xs:
            ax.plot(xs, ys, label=run)
            plotted += 1
    if not plotted:
        raise UserError(f"no {metric!r} values in {', '.join(runs)}")
    ax.set_xlabel("env steps")
    ax.set_ylabel(metric)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(output, dpi=120)
    plt.close(fig)
    return output
