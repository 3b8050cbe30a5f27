"""How a sandboxed program is started: the command line of each isolation backend.

- ``bwrap`` (bubblewrap, the sandbox Flatpak uses): new PID, network, IPC, UTS and mount
  namespaces; the root is an empty read-only tmpfs into which only the interpreter's files are
  bound read-only; the work directory is a size-bounded tmpfs; bubblewrap itself starts with an
  empty environment. Full containment.
- ``unshare`` (util-linux, root only): new PID, network and mount namespaces and a size-bounded
  tmpfs work directory, but the host's files stay visible (read-only for the sandbox user only
  where their permissions say so). Weaker; a warning says so once.
- ``rlimits``: limits and a temporary directory only. Weakest; a warning says so once.

Every backend runs the same harness (``harness.py``) with ``python -I -S``: it sets the
rlimits and, when started as root, switches to the unprivileged sandbox user before any
untrusted code runs.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Interpreter", "WORKDIR", "bwrap_command", "interpreter", "unshare_command"]

# Where the program's files live inside the sandbox (bwrap and unshare): the tmpfs work dir.
WORKDIR = "/sandbox"


@dataclass(frozen=True)
class Interpreter:
    """The Python that runs sandboxed programs (this process's own base interpreter) and the
    host paths it needs: its binary, its standard library, its shared library and the system
    libraries they link to. Nothing else of the host is bound into a bwrap sandbox."""

    executable: str
    read_only: tuple[str, ...]
    hidden: tuple[str, ...]


def interpreter() -> Interpreter:
    executable = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    paths = [executable, stdlib]
    libdir, ldlibrary = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LDLIBRARY")
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and libdir and ldlibrary:
        paths += sorted(str(p) for p in Path(libdir).glob(ldlibrary + "*"))
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    for system in ("/usr/lib/" + multiarch if multiarch else "/usr/lib", "/usr/lib64"):
        if os.path.isdir(system):
            paths.append(system)
    # The standard library dir holds site-packages (pip and whatever else the host installed):
    # covered by an empty tmpfs, so the sandbox sees the standard library alone.
    hidden = tuple(p for p in (os.path.join(stdlib, "site-packages"), os.path.join(stdlib, "dist-packages"))
                   if os.path.isdir(p))
    return Interpreter(executable, tuple(dict.fromkeys(paths)), hidden)


def bwrap_command(bwrap: str, python: Interpreter, files: dict[str, int], disk_bytes: int) -> list[str]:
    """The bwrap command line. ``files`` maps a file name in the work dir to an open file
    descriptor bubblewrap copies it from (passed with ``pass_fds``), so nothing of the program
    is ever written on the host's disk."""
    cmd = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session"]
    for link in ("/lib", "/lib64", "/bin"):  # merged-/usr systems: keep the loader's paths working
        if os.path.islink(link):
            cmd += ["--symlink", os.readlink(link), link]
    # Directories on the way to a bound path are created world-traversable: bwrap would copy
    # the host's mode, and a 0700 /root (pyenv's home) would lock the sandbox user out.
    parents = {str(p) for path in python.read_only for p in Path(path).parents if str(p) != "/"}
    for parent in sorted(parents):
        cmd += ["--perms", "0755", "--dir", parent]
    for path in python.read_only:
        cmd += ["--ro-bind", path, path]
    for path in python.hidden:
        cmd += ["--size", "4096", "--tmpfs", path]
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--size", str(disk_bytes), "--perms", "1777", "--tmpfs", WORKDIR]
    for name, fd in files.items():
        cmd += ["--perms", "0444", "--file", str(fd), f"{WORKDIR}/{name}"]
    cmd += ["--chdir", WORKDIR, "--remount-ro", "/", "--"]
    return cmd


def unshare_command(unshare: str, tempdir: str, disk_bytes: int) -> list[str]:
    """The unshare command line (root). ``tempdir`` holds the program's files in ``in/`` and an
    empty ``work/``; inside the new mount namespace the shell mounts a size-bounded tmpfs on
    ``work/``, copies the files in and starts the harness there."""
    work = os.path.join(tempdir, "work")
    script = (f'mount -t tmpfs -o size={disk_bytes},mode=1777 tmpfs "{work}" && cp "{tempdir}"/in/* "{work}"/ '
              f'&& chmod 0444 "{work}"/* && cd "{work}" && exec "$@"')
    return [unshare, "--pid", "--net", "--ipc", "--uts", "--mount", "--fork", "--kill-child", "--mount-proc",
            "/bin/sh", "-c", script, "sh"]


def shared_executable(python: Interpreter) -> str:
    """A Python the sandbox user can run without bubblewrap's binds: ours when every path it
    needs is open to other users, else the system's ``/usr/bin/python3`` (a pyenv Python lives
    under a private ``/root``; as the sandbox user it could not even import its standard
    library). The harness and the programs need nothing but a standard library."""
    if os.geteuid() != 0 or all(_open_to_others(p) for p in python.read_only):
        return python.executable
    system = "/usr/bin/python3"
    return system if os.path.exists(system) and _open_to_others(os.path.realpath(system)) else python.executable


def _open_to_others(path: str) -> bool:
    """Whether a user who owns nothing can reach ``path``: x on every folder above it, r on it."""
    for parent in Path(path).parents:
        if not os.stat(parent).st_mode & 0o001:
            return False
    return bool(os.stat(path).st_mode & 0o004)


def which(name: str) -> str | None:
    return shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin:/usr/local/bin")
