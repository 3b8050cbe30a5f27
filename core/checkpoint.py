"""Atomic checkpoints: written to a temp file in the same folder, fsynced, then renamed.

A crash (even ``kill -9``) leaves either the previous checkpoint or the new one, never a
half-written file. Checkpoints are named ``step_<global_step>.pt`` under ``checkpoints/``.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from agentctl.errors import UserError, first_line

_NAME = re.compile(r"^step_(\d+)\.pt$")


def _disk_full(folder: Path) -> bool:
    """Whether the file system holding ``folder`` has (next to) no space left."""
    try:
        return shutil.disk_usage(folder).free < 2**20
    except OSError:
        return False


def write_atomic(state: dict[str, Any], path: Path, what: str = "checkpoint") -> Path:
    """``torch.save`` to ``path`` atomically (temp file in the same folder, fsync, rename): a
    crash, even ``kill -9``, leaves the old file or the new one, never half of one."""
    import torch

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pt")
        with os.fdopen(fd, "wb") as fh:
            torch.save(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        full = isinstance(exc, RuntimeError) and _disk_full(path.parent)  # before the temp file goes
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        # torch reports a failed write as RuntimeError (a full disk as an internal position check
        # on some layouts: name the real cause), the OS as OSError
        if isinstance(exc, (OSError, RuntimeError)):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else first_line(exc)
            if full:
                reason = os.strerror(errno.ENOSPC)
            raise UserError(f"could not write {what} {path}: {reason}") from exc
        raise
    return path


def save(state: dict[str, Any], directory: Path, step: int, keep: int = 0) -> Path:
    """Write ``state`` as ``directory/step_<step>.pt`` atomically; prune to ``keep`` latest."""
    path = directory / f"step_{step:012d}.pt"
    try:
        write_atomic(state, path)
    except UserError as exc:
        kept = "earlier checkpoints are intact" if list_checkpoints(directory) else "no checkpoint was written"
        raise UserError(f"{exc}; {kept}") from exc.__cause__
    if keep > 0:
        for old in list_checkpoints(directory)[:-keep]:
            old.unlink(missing_ok=True)
    return path


def list_checkpoints(directory: Path) -> list[Path]:
    """Checkpoints in a folder, oldest first (by step)."""
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def find(path: str | Path) -> Path:
    """A checkpoint file, or a run dir / checkpoints dir (its latest checkpoint)."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.exists():
        raise UserError(f"checkpoint not found: {path}")
    for folder in (path / "checkpoints", path):
        found = list_checkpoints(folder)
        if found:
            return found[-1]
    raise UserError(f"no checkpoint in {path} (expected checkpoints/step_*.pt)")


def load(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """Load a checkpoint (it holds pickled env state: only load checkpoints you trust)."""
    import torch

    path = find(path)
    try:
        state = torch.load(path, map_location=map_location, weights_only=False)
    except OSError as exc:  # the file is fine, reading it is not (permissions, I/O)
        raise UserError(f"cannot read checkpoint {path}: {exc.strerror or exc}") from exc
    except Exception as exc:
        raise UserError(f"cannot read checkpoint {path}: truncated, corrupt or not a checkpoint "
                        f"({first_line(exc)})") from exc
    if not isinstance(state, dict) or state.get("format") != 1:
        raise UserError(f"{path} is not an agentctl checkpoint")
    # A training checkpoint, or a self-play snapshot (weights only).
    need = ("env", "config", "trainer") if "model" not in state else ("model",)
    missing = [k for k in need if k not in state]
    if not missing and "trainer" in state and not (isinstance(state["trainer"], dict) and "model" in state["trainer"]):
        missing = ["trainer.model"]
    if missing:
        raise UserError(f"{path} is an incomplete agentctl checkpoint (missing {', '.join(missing)})")
    state["path"] = str(path)
    return state
