"""A hostile user's bad inputs (issue #9) that used to crash, hang, mislead or leave junk:
each is now one ``error:`` line (or click's usage error), exit status 2, no traceback, and
nothing written, neither in the folder it ran in nor to the runs and files it was handed.

The whole sweep (about 190 inputs across every command) is ``benchmarks/bad_inputs_sweep.py``;
this table holds the inputs it found wrong, run in-process through click's CliRunner except
for the plugin commands (``gtp``), which run as a subprocess.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from conftest import clean_env, cli_cmd

TINY = ["--steps", "256", "--set", "num_envs=2", "--set", "num_steps=16", "--set", "minibatch_size=16",
        "--set", "tensorboard=false"]
CART = ["train", "--env", "cartpole", *TINY]
GO = ["train", "--env", "go", *TINY, "--set", "env_kwargs.board_size=5"]


def _invoke(args: list[str]):
    from agentctl.cli import cli
    from click.testing import CliRunner

    return CliRunner().invoke(cli, args)


@pytest.fixture(scope="module")
def given(tmp_path_factory) -> dict[str, Path]:
    """Small valid runs (CartPole; Go 5x5 with snapshots) and the bad files handed to commands."""
    root = tmp_path_factory.mktemp("given")
    for name, args in (("cp", CART), ("go", [*GO, "--set", "snapshot_every=2"])):
        res = _invoke([*args, "--run-dir", str(root / name)])
        assert res.exit_code == 0, res.output
    paths = {"cp": root / "cp", "go": root / "go", "go_snap": max((root / "go" / "snapshots").glob("step_*.pt"))}
    files = {
        "afile": "a file, not a folder\n",
        "ppo_and_other.toml": "[ppo]\ngamma = 0.9\n[envs]\nboard_size = 7\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
        paths[name] = root / name
    (root / "folder").mkdir()
    paths["folder"] = root / "folder"
    metrics = {  # run dirs whose metrics.jsonl holds no usable number for the plotted metric
        "text_metric": b'{"global_step": 16, "note": "text"}\n',
        "no_step": b'{"mean_return": 1.0}\n',
        "binary": b"\xff\xfe\x00 not text\n",
    }
    for name, data in metrics.items():
        (root / name).mkdir()
        (root / name / "metrics.jsonl").write_bytes(data)
        paths[name] = root / name
    (root / "metrics_folder" / "metrics.jsonl").mkdir(parents=True)
    paths["metrics_folder"] = root / "metrics_folder"
    # a checkpoint that cannot be read, for a reason other than its bytes (root reads any file)
    (root / "unreadable" / "checkpoints" / "step_000000000999.pt").mkdir(parents=True)
    paths["unreadable"] = root / "unreadable"
    return paths


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


# (id, command with {placeholders} for the given paths, a fragment of the one error line)
BAD = [
    # Go env_kwargs: the engine would take 9.5 as 9 and fail on the rest naming no key
    ("go board_size text", [*GO, "--set", 'env_kwargs.board_size="nine"'],
     "go env_kwargs.board_size must be an integer 5..19, got 'nine'"),
    ("go board_size 9.5", [*GO, "--set", "env_kwargs.board_size=9.5"], "board_size must be an integer 5..19, got 9.5"),
    ("go board_size true", [*GO, "--set", "env_kwargs.board_size=true"], "board_size must be an integer 5..19, got True"),
    ("go komi text", [*GO, "--set", 'env_kwargs.komi="lots"'], "go env_kwargs.komi must be a number, got 'lots'"),
    ("go max_moves -1", [*GO, "--set", "env_kwargs.max_moves=-1"], "go env_kwargs.max_moves must be an integer >= 1"),
    ("go history -2", [*GO, "--set", "env_kwargs.history=-2"], "go env_kwargs.history must be an integer >= 1, got -2"),
    # policy_kwargs: silently empty towers and layers, torch tracebacks, cryptic type errors
    ("resnet blocks -1", [*GO, "--set", "policy_kwargs.blocks=-1"], "resnet blocks must be an integer >= 0, got -1"),
    ("resnet channels 0", [*GO, "--set", "policy_kwargs.channels=0"], "resnet channels must be an integer >= 1, got 0"),
    ("resnet channels 2.5", [*GO, "--set", "policy_kwargs.channels=2.5"], "resnet channels must be an integer >= 1"),
    ("mlp hidden_sizes [-1]", [*CART, "--set", "policy_kwargs.hidden_sizes=[-1]"],
     "mlp hidden_sizes must be a list of layer widths >= 1 such as [64, 64], got [-1]"),
    ("mlp hidden_sizes [0]", [*CART, "--set", "policy_kwargs.hidden_sizes=[0]"], "mlp hidden_sizes must be a list"),
    ("mlp hidden_sizes 64", [*CART, "--set", "policy_kwargs.hidden_sizes=64"], "mlp hidden_sizes must be a list"),
    ("mlp hidden_sizes text", [*CART, "--set", 'policy_kwargs.hidden_sizes="64"'], "got '64'"),
    ("cnn on go names the inherited kwargs", [*GO, "--set", "policy=cnn"],
     "policy 'cnn' cannot be built for env 'go' with policy_kwargs {'blocks': 2, 'channels': 32}"),
    # a failure after the run dir was made leaves no runs/<env>/ folders behind
    ("unknown gym id leaves no runs folder", ["train", "--env", "gym:NoSuchEnv-v0", *TINY],
     "unknown Gymnasium env id 'NoSuchEnv-v0'"),
    # opponents and eval_opponent
    ("random takes no argument", [*GO, "--set", "eval_every=1", "--set", "eval_opponent=random:3"],
     "opponent 'random' takes no argument, got 'random:3'"),
    ("eval_opponent checked before training", [*GO, "--set", "eval_every=1", "--set", "eval_opponent=nosuch"],
     "unknown opponent 'nosuch'."),
    ("empty opponents table", [*GO, "--set", "opponents={}"], "--set opponents={} changes nothing"),
    # config
    ("config keys outside [ppo]", [*CART, "--config", "{ppo_and_other.toml}"], "'envs' outside [ppo] would be ignored"),
    ("device cuda:x", [*CART, "--set", "device=cuda:x"], "config device must be auto, cpu or cuda (or cuda:N), got 'cuda:x'"),
    # resume
    ("resume a snapshot file", ["train", "--resume", "{go_snap}", "--run-dir", "r"],
     "is a self-play snapshot (weights only), not a training checkpoint"),
    ("resume a finished run", ["train", "--resume", "{cp}", "--run-dir", "r"], "is already at step"),
    ("resume with other num_envs", ["train", "--resume", "{cp}", "--steps", "600", "--set", "num_envs=4",
                                    "--run-dir", "r"], "with num_envs 4: it was trained with num_envs 2"),
    ("resume go on another board", ["train", "--resume", "{go}", "--steps", "600", "--set", "env_kwargs.board_size=7",
                                    "--run-dir", "r"], "with env_kwargs {'board_size': 7}"),
    ("checkpoint that cannot be read", ["eval", "--checkpoint", "{unreadable}"],
     "step_000000000999.pt: Is a directory"),  # not 'truncated, corrupt or not a checkpoint'
    # eval opponents that named the wrong problem or silently played the learner itself
    ("eval random:3", ["eval", "--checkpoint", "{go}", "--games", "2", "--opponent", "random:3"],
     "opponent 'random' takes no argument"),
    ("eval bare snapshot", ["eval", "--checkpoint", "{go}", "--games", "2", "--opponent", "snapshot"],
     "opponent 'snapshot' needs a path: snapshot:PATH"),
    ("eval snapshot without path", ["eval", "--checkpoint", "{go}", "--games", "2", "--opponent", "snapshot:"],
     "opponent 'snapshot:' needs a path"),
    # plot
    ("plot into a missing folder", ["plot", "{cp}", "-o", "nodir/x.png"], "folder nodir does not exist"),
    ("plot an unknown format", ["plot", "{cp}", "-o", "curves.txt"], "matplotlib cannot write '.txt' files"),
    ("plot onto a folder", ["plot", "{cp}", "-o", "{folder}"], "is a folder; give a file name"),
    ("plot a text-valued metric", ["plot", "{text_metric}", "--metric", "note"], "no numeric 'note' values"),
    ("plot lines without global_step", ["plot", "{no_step}"], "no numeric 'mean_return' values"),
    ("plot binary metrics", ["plot", "{binary}"], "no numeric 'mean_return' values"),
    ("plot metrics.jsonl a folder", ["plot", "{metrics_folder}"], "cannot read"),
    # new-plugin / check-plugin
    ("new-plugin dir under a file", ["new-plugin", "myenv", "--dir", "{afile}/sub"], "cannot create"),
    ("new-plugin dir in /proc", ["new-plugin", "myenv", "--dir", "/proc/agentctl-test"], "cannot create /proc/agentctl-test"),
    ("new-plugin installed name", ["new-plugin", "go"], "plugin name 'go' is taken by an installed plugin"),
    ("check-plugin negative steps", ["check-plugin", "classic", "--steps", "-1"], "-1 is not in the range x>=0"),
    # plugin commands: through a subprocess (main() adds them)
    ("gtp a snapshot file", ["gtp", "--checkpoint", "{go_snap}"], "is a self-play snapshot (weights only)"),
    ("play a snapshot file", ["play", "--checkpoint", "{go_snap}"], "is a self-play snapshot (weights only)"),
]
PLUGIN_COMMANDS = ("gtp", "play")


@pytest.mark.parametrize(("args", "fragment"), [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_input_is_one_clear_line(args, fragment, given, tmp_path, monkeypatch):
    for name, path in given.items():
        args = [a.replace("{" + name + "}", str(path)) for a in args]
    handed = _digest(given["cp"].parent)
    monkeypatch.chdir(tmp_path)
    if args[0] in PLUGIN_COMMANDS:
        out = subprocess.run(cli_cmd(*args), capture_output=True, text=True, timeout=60, env=clean_env(),
                             cwd=tmp_path, check=False)
        code, stderr = out.returncode, out.stderr
    else:
        res = _invoke(args)
        assert isinstance(res.exception, SystemExit), res.exception  # a clean exit, not a crash
        code, stderr = res.exit_code, res.stderr
    assert "Traceback" not in stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("agentctl: step")]
    errors = [ln for ln in lines if ln.startswith(("error: ", "Error: "))]  # ours, or click's usage error
    assert len(errors) == 1, stderr
    assert all(ln.startswith(("Usage:", "Try ")) for ln in lines if ln not in errors), stderr
    assert fragment in errors[0], errors[0]
    assert code == 2
    assert list(tmp_path.iterdir()) == [], "a failed command left files behind"
    assert _digest(given["cp"].parent) == handed, "a failed command changed the runs or files it was handed"
