"""Limits of one sandboxed program, with defaults sized for small model-written functions."""

from __future__ import annotations

from dataclasses import dataclass, fields

from agentctl.errors import UserError

__all__ = ["SandboxConfig"]


@dataclass(frozen=True)
class SandboxConfig:
    """What one program may use. Every limit is per program (its whole process tree).

    - ``timeout_s``: wall-clock seconds before the whole tree is killed (status ``timeout``).
    - ``cpu_s``: CPU seconds per process (RLIMIT_CPU); a busy loop ends here even if the wall
      clock is generous.
    - ``test_timeout_s``: seconds one test may take before it is stopped and counted as a
      timeout, so one endless test does not cost the tests after it.
    - ``memory_mb``: address space per process (RLIMIT_AS); a memory bomb gets ``MemoryError``
      (status ``oom``).
    - ``max_processes``: processes and threads of the sandbox's user (RLIMIT_NPROC): a fork bomb
      stops here. Each pool slot runs as its own user, so one slot's bomb cannot starve another.
    - ``max_file_mb``: size of any one file written (RLIMIT_FSIZE).
    - ``disk_mb``: size of the writable work directory, a tmpfs; ``/`` is read-only.
    - ``max_open_files``: RLIMIT_NOFILE.
    - ``output_limit``: bytes kept of stdout and of stderr each; a program that writes more is
      killed while it writes (status ``output_limit``), never buffered in full.
    - ``uid``: the unprivileged user (and group) the program runs as when we are root; pool slot
      ``k`` uses ``uid + k``. Pick ids no real account uses.
    - ``backend``: ``auto`` (bubblewrap when it works here, else ``unshare``, else ``rlimits``),
      or one of those three by name.
    """

    timeout_s: float = 10.0
    cpu_s: int = 10
    test_timeout_s: float = 2.0
    memory_mb: int = 1024
    max_processes: int = 32
    max_file_mb: int = 8
    disk_mb: int = 32
    max_open_files: int = 64
    output_limit: int = 65536
    uid: int = 59000
    backend: str = "auto"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "backend":
                if value not in ("auto", "bwrap", "unshare", "rlimits"):
                    raise UserError(f"sandbox backend must be auto, bwrap, unshare or rlimits, got {value!r}")
            elif not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise UserError(f"sandbox {f.name} must be a positive number, got {value!r}")
