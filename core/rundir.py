"""The run directory a training run owns: created with a clear error, locked for the run's
life, and never silently reused by a different run.

Two processes writing one run dir would interleave metrics and mix checkpoints, and a
fresh run in a used dir would have its checkpoints pruned away by the old run's higher
steps; both are refused here, before anything is written.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from pathlib import Path

from agentctl.errors import UserError

LOCK = ".lock"
# What a run writes; a dir holding any of these holds a run.
RUN_FILES = ("checkpoints", "snapshots", "metrics.jsonl", "config.toml", "run.json")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class RunDir:
    """``with RunDir(path, fresh=..., overwrite=...)``: the dir exists, is writable, is ours
    alone until the block ends, and (for a fresh run) holds no other run."""

    def __init__(self, path: Path, *, fresh: bool, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.fresh = fresh
        self.overwrite = overwrite
        self._fd: int | None = None
        self._created = False
        self._created_parents: list[Path] = []  # folders above it that this run made, nearest first

    def __enter__(self) -> RunDir:
        self._create()
        try:
            self._lock()
            if self.fresh and self.holds_run():
                if not self.overwrite:
                    raise UserError(
                        f"{self.path} already holds a run; continue it with `agentctl train --resume "
                        f"{self.path}`, pick a new --run-dir, or pass --overwrite to replace it")
                self._clear()
            self.clean_stale_temp_files()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._created and exc is not None and not self.trained():
            shutil.rmtree(self.path, ignore_errors=True)  # a run that trained nothing leaves no trace
            for parent in self._created_parents:  # nor the runs/<env>/ folders made for it
                try:
                    parent.rmdir()
                except OSError:  # not empty: another run uses it
                    break

    # -- steps ------------------------------------------------------------------------------
    def _create(self) -> None:
        self._created = not self.path.exists()
        self._created_parents = [p for p in self.path.parents if not p.exists()]
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise UserError(f"cannot use {self.path} as a run dir: it (or a folder above it) is a file") from None
        except OSError as exc:
            if exc.errno == errno.ENOTDIR:
                raise UserError(f"cannot use {self.path} as a run dir: a folder above it is a file") from None
            raise UserError(f"cannot create run dir {self.path}: {_reason(exc)}") from None

    def _lock(self) -> None:
        try:
            self._fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserError(f"cannot write to run dir {self.path}: {_reason(exc)}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self._fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(self._fd)
            self._fd = None
            raise UserError(f"run dir {self.path} is in use by another agentctl process (pid {holder}); "
                            "wait for it to finish or pick another --run-dir") from None
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:
            raise UserError(f"cannot write to run dir {self.path}: {_reason(exc)}") from None

    def holds_run(self) -> bool:
        for name in RUN_FILES:
            p = self.path / name
            if p.is_file() or (p.is_dir() and any(p.iterdir())):
                return True
        return False

    def trained(self) -> bool:
        """Whether a failed run left something worth keeping: a checkpoint or a logged update.
        (Its config.toml alone would only make the next try in this dir refuse to start.)"""
        metrics = self.path / "metrics.jsonl"
        return (any((self.path / "checkpoints").glob("step_*.pt"))
                or (metrics.is_file() and metrics.stat().st_size > 0))

    def _clear(self) -> None:
        """--overwrite: remove the old run's files (nothing else in the folder)."""
        for name in RUN_FILES:
            p = self.path / name
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink(missing_ok=True)
        for events in self.path.glob("events.out.tfevents.*"):
            events.unlink()

    def clean_stale_temp_files(self) -> None:
        """Temp files of a save that a kill interrupted (the rename never happened)."""
        for folder in (self.path / "checkpoints", self.path / "snapshots"):
            if folder.is_dir():
                for tmp in folder.glob(".tmp-*.pt"):
                    tmp.unlink(missing_ok=True)
        (self.path / "metrics.tmp").unlink(missing_ok=True)
