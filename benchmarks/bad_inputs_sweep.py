"""A hostile user's sweep of bad inputs (issue #9): every command, one clear line each?

    python benchmarks/bad_inputs_sweep.py                # all inputs, a table and the totals
    python benchmarks/bad_inputs_sweep.py --only eval    # inputs whose label holds 'eval'
    python benchmarks/bad_inputs_sweep.py --show         # print each input's stderr too

It trains three tiny runs (CartPole, Go 5x5, Connect Four; a few seconds each), makes the bad
files a user might hand over (empty, text, truncated and foreign pickles, snapshots, configs),
then runs each bad input as a user would: ``python -m agentctl.cli ...`` in a subprocess, in
its own empty folder, with a timeout. For each it records the exit status and judges it:

    clear   exit non-zero with exactly one ``error:`` line on stderr (or click's usage error:
            exit 2, ``Usage:`` and one ``Error:`` line), no traceback, nothing written (the
            case's folder stays empty and the runs and files it was handed are unchanged)
    ok      inputs a command should take in its stride (garbage lines typed into ``play`` or
            ``gtp``, an empty config file): exit 0 and no traceback
    BAD     anything else: a traceback, a hang, several lines, a zero exit, junk left behind

The last line is the totals: N tried, N clear (``ok`` counts as clear).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TINY = ("--set", "num_envs=2", "--set", "num_steps=16", "--set", "minibatch_size=16", "--set", "tensorboard=false")
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


@dataclass
class Case:
    label: str
    args: tuple[str, ...]
    stdin: str | None = None
    expect: str = "error"  # "error": one clear line; "ok": exit 0, no traceback
    timeout: float = 60
    as_nobody: bool = False  # run as an unprivileged user (root reads any file)
    skip: str = ""  # why this input cannot be tried here


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCTL_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _agentctl(*args: object, cwd: Path, stdin: str | None = None, timeout: float = 120,
              prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "agentctl.cli", *map(str, args)], cwd=cwd,
                          input=stdin if stdin is not None else "", capture_output=True, text=True,
                          timeout=timeout, env=_env(), check=False)


# -- fixtures: small valid runs and the bad files a user might pass ------------------------------
def make_fixtures(root: Path) -> dict[str, Path]:
    import torch

    f: dict[str, Path] = {}
    runs = {
        "cp": ("--env", "cartpole", "--set", "checkpoint_every=2"),
        "go": ("--env", "go", "--set", "env_kwargs.board_size=5", "--set", "snapshot_every=2"),
        "c4": ("--env", "connect4", "--set", "snapshot_every=2"),
    }
    for name, args in runs.items():
        out = _agentctl("train", *args, "--steps", 256, *TINY, "--run-dir", root / name, cwd=root)
        if out.returncode != 0:
            sys.exit(f"fixture run {name} failed:\n{out.stderr}")
        f[name] = root / name
    ckpt = max((root / "cp" / "checkpoints").glob("step_*.pt"))
    f["cp_ckpt"] = ckpt
    f["go_ckpt"] = max((root / "go" / "checkpoints").glob("step_*.pt"))
    f["go_snap"] = max((root / "go" / "snapshots").glob("step_*.pt"))
    # a Go run that holds one player only (no snapshots, one checkpoint)
    one = root / "go_one"
    shutil.copytree(root / "go", one)
    shutil.rmtree(one / "snapshots")
    for extra in sorted((one / "checkpoints").glob("step_*.pt"))[:-1]:
        extra.unlink()
    f["go_one"] = one
    nometrics = root / "cp_nometrics"
    shutil.copytree(root / "cp", nometrics)
    (nometrics / "metrics.jsonl").unlink()
    f["cp_nometrics"] = nometrics
    (root / "emptydir").mkdir()
    f["emptydir"] = root / "emptydir"
    files = {
        "empty.pt": b"",
        "text.pt": b"hello, I am not a checkpoint\n",
        "truncated.pt": ckpt.read_bytes()[: ckpt.stat().st_size // 2],
        "pickle.pt": pickle.dumps({"weights": [1, 2, 3]}),
        "empty.toml": b"",
        "invalid.toml": b"gamma = = 0.9\n",
        "wrongtype.toml": b"[ppo]\ngamma = \"high\"\n",
        "unknownkey.toml": b"[ppo]\ngama = 0.9\n",
        "unknownsection.toml": b"[trainer]\nlr = 0.1\n",
        "ppo_scalar.toml": b"ppo = 3\n",
        "ppo_and_other.toml": b"[ppo]\ngamma = 0.9\n[envs]\nboard_size = 7\n",
        "binary.toml": b"\xff\xd8\xff\xe0 a JPEG",
        "env_kwargs_not_table.toml": b"[ppo]\nenv_kwargs = 3\n",
        "config.txt": b"gamma: 0.9\n",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
        f[name] = root / name
    torch.save([1, 2, 3], root / "list.pt")
    f["list.pt"] = root / "list.pt"
    torch.save({"format": 2, "env": "classic/cartpole"}, root / "format2.pt")
    f["format2.pt"] = root / "format2.pt"
    # unreadable files (made so by main(), after it opens up the rest to the unprivileged user)
    shutil.copy(ckpt, root / "denied.pt")
    f["denied.pt"] = root / "denied.pt"
    shutil.copytree(root / "cp", root / "cp_denied")
    for p in (root / "cp_denied" / "checkpoints").glob("step_*.pt"):
        if p.name != ckpt.name:
            p.unlink()
    f["cp_denied"] = root / "cp_denied"
    f["cp_denied_ckpt"] = root / "cp_denied" / "checkpoints" / ckpt.name
    (root / "ckpt_folder" / "checkpoints" / "step_000000000999.pt").mkdir(parents=True)
    f["ckpt_folder"] = root / "ckpt_folder"
    # a metrics file holding a line that is not JSON, and one whose metric is text
    odd = root / "cp_oddmetrics"
    shutil.copytree(root / "cp", odd)
    with (odd / "metrics.jsonl").open("a") as fh:
        fh.write('{"global_step": 999, "mean_return": "high", "note": "text"}\nnot json\n{"mean_return": 1}\n')
    f["cp_oddmetrics"] = odd
    binary = root / "cp_binmetrics"
    shutil.copytree(root / "cp", binary)
    (binary / "metrics.jsonl").write_bytes(b"\xff\xfe\x00binary\n")
    f["cp_binmetrics"] = binary
    folder = root / "cp_dirmetrics"
    shutil.copytree(root / "cp", folder)
    (folder / "metrics.jsonl").unlink()
    (folder / "metrics.jsonl").mkdir()
    f["cp_dirmetrics"] = folder
    (root / "afile").write_text("a file, not a folder\n")
    f["afile"] = root / "afile"
    (root / "existing").mkdir()
    f["existing"] = root / "existing"
    return f


def cases(f: dict[str, Path], has_cuda: bool) -> list[Case]:
    cp, go, c4 = str(f["cp"]), str(f["go"]), str(f["c4"])
    tiny = TINY
    train = ("train", "--steps", "256", *tiny)
    cart = (*train, "--env", "cartpole")
    gotrain = (*train, "--env", "go", "--set", "env_kwargs.board_size=5")
    no_cuda = "a CUDA GPU is here" if has_cuda else ""
    c: list[Case] = []

    def add(label: str, *args: str, **kw) -> None:
        c.append(Case(label, tuple(map(str, args)), **kw))

    # -- top level
    add("unknown command", "trian")
    add("unknown global option", "--verbose", "envs")
    add("envs extra argument", "envs", "go")
    add("config extra argument", "config", "gamma")
    # -- train: names
    add("train misspelled env", *train, "--env", "cartpol")
    add("train no env", *train)
    add("train --env without value", "train", "--env")
    add("train gym: unknown id", *train, "--env", "gym:NoSuchEnv-v0")
    add("train gym: empty id", *train, "--env", "gym:")
    add("train qualified env of unknown plugin", *train, "--env", "nosuch/cartpole")
    add("train unknown policy", *cart, "--set", "policy=transformer")
    add("train cnn policy on vector obs", *cart, "--set", "policy=cnn")
    add("train resnet policy on vector obs", *cart, "--set", "policy=resnet")
    # -- train: flags
    add("train --steps 0", *cart, "--steps", "0")
    add("train --steps -5", *cart, "--steps", "-5")
    add("train --steps abc", *cart, "--steps", "abc")
    add("train --steps 1e5", *cart, "--steps", "1e5")
    add("train --seed abc", *cart, "--seed", "abc")
    add("train --seed -1", *cart, "--seed", "-1")
    add("train --device cuda (no GPU)", *cart, "--device", "cuda", skip=no_cuda)
    add("train --device tpu", *cart, "--device", "tpu")
    add("train --run-dir is a file", *cart, "--run-dir", f["afile"])
    add("train --run-dir under a file", *cart, "--run-dir", f["afile"] / "sub")
    add("train --run-dir holds a run", *cart, "--run-dir", cp)
    # -- train: --set syntax and keys
    add("set without =", *cart, "--set", "gamma")
    add("set empty key", *cart, "--set", "=0.9")
    add("set unknown key", *cart, "--set", "gama=0.9")
    add("set unknown key far from any", *cart, "--set", "zzz=1")
    add("set float key given text", *cart, "--set", "gamma=high")
    add("set int key given float", *cart, "--set", "num_envs=2.5")
    add("set int key given bool", *cart, "--set", "num_envs=true")
    add("set bool key given yes", *cart, "--set", "anneal_lr=yes")
    add("set bool key given 1", *cart, "--set", "tensorboard=1")
    add("set malformed TOML list", *cart, "--set", "gamma=[1,2")
    add("set malformed TOML string", *cart, "--set", 'policy="mlp')
    add("set dotted key into non-table", *cart, "--set", "gamma.x=1")
    add("set dotted key into unknown", *cart, "--set", "foo.bar=1")
    add("set table key given scalar", *cart, "--set", "env_kwargs=3")
    add("set table key given list", *cart, "--set", "policy_kwargs=[1]")
    add("set int given huge float", "train", "--env", "cartpole", *tiny, "--set", "total_timesteps=1e20")
    add("set minibatch_size=0", *cart, "--set", "minibatch_size=0")
    add("set num_envs=0", *cart, "--set", "num_envs=0")
    add("set gamma=2", *cart, "--set", "gamma=2")
    add("set device=gpu", *cart, "--set", "device=gpu")
    add("set device=cuda:7 (no GPU)", *cart, "--set", "device=cuda:7", skip=no_cuda)
    add("set device=cuda:x", *cart, "--set", "device=cuda:x")
    add("set device=cuda:99", *cart, "--set", "device=cuda:99")
    # -- train: env_kwargs / policy_kwargs
    add("go board_size=\"nine\"", *gotrain, "--set", 'env_kwargs.board_size="nine"')
    add("go board_size=4", *gotrain, "--set", "env_kwargs.board_size=4")
    add("go board_size=25", *gotrain, "--set", "env_kwargs.board_size=25")
    add("go board_size=9.5", *gotrain, "--set", "env_kwargs.board_size=9.5")
    add("go board_size=true", *gotrain, "--set", "env_kwargs.board_size=true")
    add("go komi=\"lots\"", *gotrain, "--set", 'env_kwargs.komi="lots"')
    add("go ko_rule=bogus", *gotrain, "--set", "env_kwargs.ko_rule=bogus")
    add("go max_moves=-1", *gotrain, "--set", "env_kwargs.max_moves=-1")
    add("go history=0", *gotrain, "--set", "env_kwargs.history=0")
    add("go history=-2", *gotrain, "--set", "env_kwargs.history=-2")
    add("go unknown env_kwarg", *gotrain, "--set", "env_kwargs.colour=1")
    add("cartpole unknown env_kwarg", *cart, "--set", "env_kwargs.foo=1")
    add("connect4 unknown env_kwarg", *train, "--env", "connect4", "--set", "env_kwargs.rows=5")
    add("go policy_kwargs.blocks=-1", *gotrain, "--set", "policy_kwargs.blocks=-1")
    add("go policy_kwargs.blocks=\"two\"", *gotrain, "--set", 'policy_kwargs.blocks="two"')
    add("go policy_kwargs.channels=0", *gotrain, "--set", "policy_kwargs.channels=0")
    add("go policy_kwargs.channels=2.5", *gotrain, "--set", "policy_kwargs.channels=2.5")
    add("go policy_kwargs unknown", *gotrain, "--set", "policy_kwargs.depth=3")
    add("mlp hidden_sizes=[-1]", *cart, "--set", "policy_kwargs.hidden_sizes=[-1]")
    add("mlp hidden_sizes=[0]", *cart, "--set", "policy_kwargs.hidden_sizes=[0]")
    add("mlp hidden_sizes=64", *cart, "--set", "policy_kwargs.hidden_sizes=64")
    add("mlp hidden_sizes=\"64\"", *cart, "--set", 'policy_kwargs.hidden_sizes="64"')
    add("mlp hidden_sizes=[\"a\"]", *cart, "--set", 'policy_kwargs.hidden_sizes=["a"]')
    add("mlp activation=sigmoid", *cart, "--set", "policy_kwargs.activation=sigmoid")
    add("mlp unknown policy_kwarg", *cart, "--set", "policy_kwargs.layers=2")
    add("cnn policy on go (inherits resnet kwargs)", *gotrain, "--set", "policy=cnn")
    add("mlp hidden_sizes=[] (a linear policy)", *cart, "--set", "policy_kwargs.hidden_sizes=[]", expect="ok")
    # -- train: opponents and evaluation settings
    add("opponents unknown opponent", *gotrain, "--set", "opponents.nosuch=1")
    add("opponents gnugo on connect4", *train, "--env", "connect4", "--set", "opponents.gnugo=1")
    add("opponents empty table", *gotrain, "--set", "opponents={}")
    add("opponents weight bool", *gotrain, "--set", "opponents.random=true")
    add("eval_opponent unknown", *gotrain, "--set", "eval_opponent=nosuch", "--set", "eval_every=1")
    add("eval_opponent snapshot: missing", *gotrain, "--set", "eval_opponent=snapshot:/nonexistent",
        "--set", "eval_every=1")
    # -- train: --config
    add("config missing", *cart, "--config", "nope.toml")
    add("config a directory", *cart, "--config", f["emptydir"])
    add("config invalid TOML", *cart, "--config", f["invalid.toml"])
    add("config wrong type", *cart, "--config", f["wrongtype.toml"])
    add("config unknown key", *cart, "--config", f["unknownkey.toml"])
    add("config unknown section", *cart, "--config", f["unknownsection.toml"])
    add("config ppo scalar", *cart, "--config", f["ppo_scalar.toml"])
    add("config [ppo] and another section", *cart, "--config", f["ppo_and_other.toml"])
    add("config binary", *cart, "--config", f["binary.toml"])
    add("config env_kwargs not a table", *cart, "--config", f["env_kwargs_not_table.toml"])
    add("config YAML-ish text", *cart, "--config", f["config.txt"])
    add("config empty file", *cart, "--config", f["empty.toml"], expect="ok")  # no overrides: valid
    # -- train: --resume
    add("resume missing", "train", "--resume", "nope")
    add("resume dir without checkpoints", "train", "--resume", f["emptydir"])
    add("resume empty file", "train", "--resume", f["empty.pt"])
    add("resume text file", "train", "--resume", f["text.pt"])
    add("resume truncated .pt", "train", "--resume", f["truncated.pt"])
    add("resume pickle of a dict", "train", "--resume", f["pickle.pt"])
    add("resume torch list", "train", "--resume", f["list.pt"])
    add("resume future format", "train", "--resume", f["format2.pt"])
    add("resume a snapshot file", "train", "--resume", f["go_snap"], "--run-dir", "r")
    add("resume a config file", "train", "--resume", f["wrongtype.toml"])
    add("resume with another env", "train", "--resume", c4, "--env", "go", "--run-dir", "r")
    add("resume with unknown env", "train", "--resume", cp, "--env", "nosuch", "--run-dir", "r")
    add("resume with other hidden_sizes", "train", "--resume", cp, "--steps", "600",
        "--set", "policy_kwargs.hidden_sizes=[8]", "--run-dir", "r")
    add("resume permission denied", "train", "--resume", f["denied.pt"], "--run-dir", "r", as_nobody=True)
    add("resume with its budget reached", "train", "--resume", cp, "--run-dir", "r")
    add("resume with --steps below its step", "train", "--resume", cp, "--steps", "100", "--run-dir", "r")
    add("resume with other num_envs", "train", "--resume", cp, "--steps", "600", "--set", "num_envs=4",
        "--run-dir", "r")
    add("resume go with other board_size", "train", "--resume", go, "--steps", "600",
        "--set", "env_kwargs.board_size=7", "--run-dir", "r")
    add("resume into a run dir under a file", "train", "--resume", cp, "--steps", "600",
        "--run-dir", f["afile"] / "x")
    # -- eval
    add("eval no --checkpoint", "eval")
    add("eval missing checkpoint", "eval", "--checkpoint", "nope.pt")
    add("eval dir without checkpoints", "eval", "--checkpoint", f["emptydir"])
    add("eval empty file", "eval", "--checkpoint", f["empty.pt"])
    add("eval text file", "eval", "--checkpoint", f["text.pt"])
    add("eval truncated .pt", "eval", "--checkpoint", f["truncated.pt"])
    add("eval pickle of a dict", "eval", "--checkpoint", f["pickle.pt"])
    add("eval a snapshot file", "eval", "--checkpoint", f["go_snap"])
    add("eval permission denied", "eval", "--checkpoint", f["denied.pt"], as_nobody=True)
    add("eval run dir with an unreadable checkpoint", "eval", "--checkpoint", f["cp_denied"], as_nobody=True)
    add("eval a folder named like a checkpoint", "eval", "--checkpoint", f["ckpt_folder"])
    add("eval --episodes 0", "eval", "--checkpoint", cp, "--episodes", "0")
    add("eval --episodes -3", "eval", "--checkpoint", cp, "--episodes", "-3")
    add("eval --games -1 (go)", "eval", "--checkpoint", go, "--games", "-1")
    add("eval --episodes x", "eval", "--checkpoint", cp, "--episodes", "x")
    add("eval --device cuda (no GPU)", "eval", "--checkpoint", cp, "--device", "cuda", skip=no_cuda)
    add("eval --opponent on cartpole", "eval", "--checkpoint", cp, "--opponent", "random")
    add("eval --playouts on cartpole", "eval", "--checkpoint", cp, "--playouts", "4")
    add("eval --playouts -1", "eval", "--checkpoint", go, "--playouts", "-1")
    add("eval --opponent unknown", "eval", "--checkpoint", go, "--games", "2", "--opponent", "nosuch")
    add("eval --opponent random:3", "eval", "--checkpoint", go, "--games", "2", "--opponent", "random:3")
    add("eval --opponent latest:1", "eval", "--checkpoint", go, "--games", "2", "--opponent", "latest:1")
    add("eval --opponent snapshot:", "eval", "--checkpoint", go, "--games", "2", "--opponent", "snapshot:")
    add("eval --opponent snapshot (no colon)", "eval", "--checkpoint", go, "--games", "2", "--opponent", "snapshot")
    add("eval --opponent snapshot:/nonexistent", "eval", "--checkpoint", go, "--games", "2",
        "--opponent", "snapshot:/nonexistent")
    add("eval --opponent snapshot:text file", "eval", "--checkpoint", go, "--games", "2",
        "--opponent", f"snapshot:{f['text.pt']}")
    add("eval --opponent snapshot of connect4 on go", "eval", "--checkpoint", go, "--games", "2",
        "--opponent", f"snapshot:{c4}")
    add("eval --opponent gnugo on connect4", "eval", "--checkpoint", c4, "--games", "2", "--opponent", "gnugo")
    add("eval --opponent gnugo:abc", "eval", "--checkpoint", go, "--games", "2", "--opponent", "gnugo:abc")
    # judged acceptable: an empty --opponent is the default (random), and the result line names it
    add("eval --opponent empty", "eval", "--checkpoint", go, "--games", "2", "--opponent", "", expect="ok")
    # -- ladder
    add("ladder missing run", "ladder", "nope")
    add("ladder a file", "ladder", f["cp_ckpt"])
    add("ladder dir without checkpoints", "ladder", f["emptydir"])
    add("ladder single-agent run", "ladder", cp)
    add("ladder one player", "ladder", f["go_one"])
    add("ladder --players 1", "ladder", go, "--players", "1")
    add("ladder --games-per-pair 0", "ladder", go, "--games-per-pair", "0")
    # -- plot
    add("plot missing run", "plot", "nope")
    add("plot no runs", "plot")
    add("plot dir without metrics", "plot", f["emptydir"])
    add("plot run without metrics", "plot", f["cp_nometrics"])
    add("plot unknown metric", "plot", cp, "--metric", "mean_retrun")
    add("plot a text-valued metric", "plot", f["cp_oddmetrics"], "--metric", "note")
    add("plot damaged metrics lines", "plot", f["cp_oddmetrics"], expect="ok")
    add("plot binary metrics.jsonl", "plot", f["cp_binmetrics"])
    add("plot metrics.jsonl is a folder", "plot", f["cp_dirmetrics"])
    add("plot output in a missing folder", "plot", cp, "-o", "nodir/x.png")
    add("plot output is a folder", "plot", cp, "-o", f["existing"])
    add("plot output unknown format", "plot", cp, "-o", "curves.txt")
    # -- new-plugin
    add("new-plugin name with space", "new-plugin", "my plugin")
    add("new-plugin keyword name", "new-plugin", "class")
    add("new-plugin uppercase name", "new-plugin", "MyEnv")
    add("new-plugin empty name", "new-plugin", "")
    add("new-plugin digit first", "new-plugin", "1env")
    add("new-plugin existing folder", "new-plugin", "myenv", "--dir", f["existing"])
    add("new-plugin --dir under a file", "new-plugin", "myenv", "--dir", f["afile"] / "sub")
    add("new-plugin --dir is a file", "new-plugin", "myenv", "--dir", f["afile"])
    add("new-plugin --dir in /proc", "new-plugin", "myenv", "--dir", "/proc/agentctl-x")
    add("new-plugin name of an installed plugin", "new-plugin", "go")
    add("new-plugin --kind bogus", "new-plugin", "myenv", "--kind", "bogus")
    add("new-plugin no name", "new-plugin")
    # -- check-plugin
    add("check-plugin unknown", "check-plugin", "nosuch")
    add("check-plugin misspelled", "check-plugin", "clasic")
    add("check-plugin --steps -1", "check-plugin", "classic", "--steps", "-1")
    add("check-plugin --steps x", "check-plugin", "classic", "--steps", "x")
    # -- gtp / play
    add("gtp --board-size 4", "gtp", "--board-size", "4")
    add("gtp --board-size 25", "gtp", "--board-size", "25")
    add("gtp --komi x", "gtp", "--komi", "x")
    add("gtp cartpole checkpoint", "gtp", "--checkpoint", cp)
    add("gtp connect4 checkpoint", "gtp", "--checkpoint", c4)
    add("gtp dir without checkpoints", "gtp", "--checkpoint", f["emptydir"])
    add("gtp text file", "gtp", "--checkpoint", f["text.pt"])
    add("gtp a snapshot file", "gtp", "--checkpoint", f["go_snap"])
    add("gtp --playouts without checkpoint", "gtp", "--playouts", "8")
    add("gtp garbage commands then EOF", "gtp", "--board-size", "5",
        stdin="bogus\nplay X Z9\nboardsize 99\nboardsize x\nkomi x\nplay black\ngenmove purple\n\x00\n",
        expect="ok", timeout=30)
    add("play --env connect4", "play", "--env", "connect4")
    add("play --color red", "play", "--color", "red")
    add("play --board-size 25", "play", "--board-size", "25")
    add("play cartpole checkpoint", "play", "--checkpoint", cp)
    add("play a snapshot file", "play", "--checkpoint", f["go_snap"])
    add("play garbage lines then EOF", "play", "--board-size", "5",
        stdin="Z99\n\nD4 D4\nundo\nA0\nü\n" + "x" * 5000 + "\n\x00\n", expect="ok", timeout=30)
    add("play immediate EOF", "play", "--board-size", "5", stdin="", expect="ok", timeout=30)
    return c


# -- running and judging ---------------------------------------------------------------------
def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with a digest (lock files excluded: a refused command may
    rewrite the pid in one)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.name == ".lock" or not p.is_file():
            continue
        try:
            out[str(p.relative_to(root))] = hashlib.sha1(p.read_bytes()).hexdigest()
        except PermissionError:
            out[str(p.relative_to(root))] = "unreadable"
    return out


def judge(case: Case, out: subprocess.CompletedProcess | None, junk: list[str]) -> tuple[str, str]:
    """(verdict, why)."""
    if out is None:
        return "BAD", "hang (timed out)"
    err = out.stderr
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("agentctl: step")]
    tb = "Traceback" in err or "Traceback" in out.stdout
    if tb:
        return "BAD", "traceback"
    if case.expect == "ok":
        return ("ok", "") if out.returncode == 0 else ("BAD", f"exit {out.returncode}")
    if out.returncode == 0:
        return "BAD", "exit 0"
    if junk:
        return "BAD", "wrote " + ", ".join(junk[:3])
    errors = [ln for ln in lines if ln.startswith("error:")]
    if len(errors) == 1 and len(lines) == 1:
        return "clear", ""
    usage = (out.returncode == 2 and sum(ln.startswith("Error:") for ln in lines) == 1
             and all(ln.startswith(("Usage:", "Try ", "Error:")) for ln in lines))
    if usage:  # click's own usage error
        return "clear", "usage"
    return "BAD", f"{len(errors)} error lines, {len(lines)} lines"


def run_case(case: Case, fixtures: Path, cases_dir: Path, index: int) -> tuple[subprocess.CompletedProcess | None,
                                                                          list[str], float]:
    cwd = cases_dir / f"{index:03d}"
    cwd.mkdir()
    cwd.chmod(0o777)
    before = snapshot(fixtures)
    prefix = NOBODY if case.as_nobody and os.geteuid() == 0 else ()
    t0 = time.perf_counter()
    try:
        out = _agentctl(*case.args, cwd=cwd, stdin=case.stdin, timeout=case.timeout, prefix=prefix)
    except subprocess.TimeoutExpired:
        out = None
    wall = time.perf_counter() - t0
    junk = [] if case.expect == "ok" else [str(p.relative_to(cwd)) for p in cwd.rglob("*")]
    after = snapshot(fixtures)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if case.expect != "ok":
        junk += [f"fixture {k}" for k in changed]
    return out, junk, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="Run only inputs whose label holds this text.")
    parser.add_argument("--show", action="store_true", help="Print each input's stderr (last lines).")
    parser.add_argument("--keep", action="store_true", help="Keep the work folder.")
    args = parser.parse_args()

    import torch

    work = Path(tempfile.mkdtemp(prefix="agentctl-bad-inputs-"))
    work.chmod(0o755)  # readable by the unprivileged user of the permission cases
    fixtures, cases_dir = work / "fixtures", work / "cases"
    fixtures.mkdir()
    fixtures.chmod(0o755)
    cases_dir.mkdir()
    try:
        t0 = time.perf_counter()
        f = make_fixtures(fixtures)
        for p in fixtures.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        for p in (f["denied.pt"], f["cp_denied_ckpt"]):
            p.chmod(0)
        print(f"fixtures in {time.perf_counter() - t0:.1f}s under {fixtures}", file=sys.stderr)
        todo = [c for c in cases(f, torch.cuda.is_available()) if args.only in c.label]
        tried = clear = 0
        print(f"{'#':>3}  {'verdict':<7} {'rc':>4} {'s':>5}  {'input':<42} first stderr line / why")
        for i, case in enumerate(todo, 1):
            if case.skip:
                print(f"{i:>3}  {'skip':<7} {'':>4} {'':>5}  {case.label:<42} ({case.skip})")
                continue
            out, junk, wall = run_case(case, fixtures, cases_dir, i)
            verdict, why = judge(case, out, junk)
            tried += 1
            clear += verdict in ("clear", "ok")
            rc = "-" if out is None else str(out.returncode)
            first = ""
            if out is not None:
                errs = [ln for ln in out.stderr.splitlines() if ln.startswith(("error:", "Error:"))]
                tail = [ln for ln in out.stderr.splitlines() if ln.strip()]
                first = (errs or tail[-1:] or [""])[0]
            note = f"[{why}] " if why and verdict == "BAD" else ""
            print(f"{i:>3}  {verdict:<7} {rc:>4} {wall:>5.1f}  {case.label:<42} {note}{first[:160]}", flush=True)
            if args.show and out is not None:
                print("      $ agentctl " + " ".join(case.args))
                for ln in out.stderr.splitlines()[-8:]:
                    print("      | " + ln)
        print(f"\ntotals: {tried} tried, {clear} one clear line (or handled), {tried - clear} not")
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            for p in work.rglob("*"):
                if p.is_file():
                    p.chmod(0o600)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
