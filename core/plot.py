"""Learning curves from ``metrics.jsonl`` (matplotlib is the optional ``plot`` extra)."""

from __future__ import annotations

import json
from pathlib import Path

from agentctl.errors import UserError


def _number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def read_metric(run: Path, metric: str) -> tuple[list[int], list[float]]:
    path = run / "metrics.jsonl"
    if not path.exists():
        raise UserError(f"{run} has no metrics.jsonl (is it a run directory?)")
    try:
        text = path.read_text(errors="replace")  # bytes that are not text make lines that are skipped
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    xs, ys = [], []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(row, dict):
            continue
        step, value = row.get("global_step"), row.get(metric)
        if _number(step) and _number(value):  # a damaged line is skipped, as unparsable ones are
            xs.append(step)
            ys.append(value)
    return xs, ys


def plot_runs(runs: list[str], output: str, metric: str | list[str] = "mean_return") -> str:
    """One panel per metric (a text run: ``["mean_return", "mean_kl"]``), one line per run."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError("plotting needs matplotlib: pip install 'agentctl[plot]'") from None
    from matplotlib.backend_bases import FigureCanvasBase

    out = Path(output)
    if out.is_dir():
        raise UserError(f"-o {output} is a folder; give a file name such as {out / 'curves.png'}")
    if out.suffix and out.suffix[1:].lower() not in FigureCanvasBase.get_supported_filetypes():
        raise UserError(f"-o {output}: matplotlib cannot write {out.suffix!r} files; use .png, .svg or .pdf")
    if not out.parent.is_dir():
        raise UserError(f"-o {output}: folder {out.parent} does not exist")
    metrics = [metric] if isinstance(metric, str) else list(metric)
    fig, axes = plt.subplots(len(metrics), 1, figsize=(7, 3.2 * len(metrics)), squeeze=False, sharex=True)
    for ax, name in zip(axes[:, 0], metrics):
        plotted = 0
        for run in runs:
            xs, ys = read_metric(Path(run), name)
            if xs:
                ax.plot(xs, ys, label=run)
                plotted += 1
        if not plotted:
            plt.close(fig)
            raise UserError(f"no numeric {name!r} values in {', '.join(runs)}")
        ax.set_ylabel(name)
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("env steps")
    fig.tight_layout()
    try:
        fig.savefig(output, dpi=120)
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return output
