"""First-party plugin: Go (9x9 by default, 5x5 to 19x19) for self-play PPO.

Hook implementations only; the game lives in ``agentctl.envs.go`` and knows nothing of PPO.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import agentctl
import click

AGENTCTL_API = 1

GO_DEFAULTS = {
    # About 10 minutes on a 2-core laptop CPU; enough to crush random play on 9x9.
    "total_timesteps": 300_000,
    "num_envs": 32,
    "num_steps": 64,
    "minibatch_size": 512,
    "update_epochs": 4,
    "learning_rate": 3e-4,
    "gamma": 1.0,
    "gae_lambda": 0.95,
    "ent_coef": 0.01,
    "clip_vloss": False,
    # One thread: small convs gain little from two, and oversubscribed cores (numba, other
    # processes) make multi-threaded torch 10-30x slower.
    "torch_threads": 1,
    "policy_kwargs": {"blocks": 2, "channels": 32},
    "env_kwargs": {"board_size": 9},
    "snapshot_every": 5,
    "checkpoint_every": 10,
}

# `agentctl tune --env go`'s default search space; trials are scored by win rate vs eval_opponent.
GO_TUNE_SPACE = {
    "learning_rate": {"low": 1e-4, "high": 1e-3, "log": True},
    "ent_coef": {"low": 0.0, "high": 0.02},
    "update_epochs": [2, 4, 8],
    "policy_kwargs": {"channels": [32, 64]},
}


def make_games(num_envs: int = 1, seed: int | None = None, board_size: int = 9, komi: float = 7.5,
               ko_rule: str = "superko", max_moves: int | None = None, history: int = 4,
               augment: bool = True, engine: str = "numba", device: str | None = None) -> Any:
    """Batched Go games for self-play; ``augment`` shows each turn through a random symmetry.
    ``engine``: "numba" (CPU kernels) or "torch" (batched tensors on ``device``: "cpu",
    "cuda" or "cuda:N"; for a GPU with many games)."""
    from agentctl.envs.go.turn_based import GoGames
    from agentctl.errors import UserError
    from agentctl.games import DihedralAugment

    def integer(x: Any) -> bool:
        return isinstance(x, numbers.Integral) and not isinstance(x, bool)

    # The engine would take 9.5 as 9 and fail on "nine" or -1 with errors that name no key.
    for key, value, ok, want in (
        ("board_size", board_size, integer(board_size) and 5 <= board_size <= 19, "an integer 5..19"),
        ("komi", komi, isinstance(komi, numbers.Real) and not isinstance(komi, bool) and math.isfinite(komi),
         "a number"),
        ("max_moves", max_moves, max_moves is None or (integer(max_moves) and max_moves >= 1), "an integer >= 1"),
        ("history", history, integer(history) and history >= 1, "an integer >= 1"),
    ):
        if not ok:
            raise UserError(f"go env_kwargs.{key} must be {want}, got {value!r}")
    if engine not in ("numba", "torch"):
        raise UserError(f'go env_kwargs.engine must be "numba" or "torch", got {engine!r}')
    if device is not None and engine != "torch":
        raise UserError(f"go env_kwargs.device={device!r} needs env_kwargs.engine=torch (the numba engine runs on "
                        "the CPU): add --set env_kwargs.engine=torch or drop env_kwargs.device")
    device = _engine_device(device or "cpu") if engine == "torch" else "cpu"
    games = GoGames(num_envs, int(board_size), komi=komi, ko_rule=ko_rule, max_moves=max_moves, history=history,
                    engine=engine, device=device)
    return DihedralAugment(games, seed) if augment else games


def _engine_device(device: Any) -> str:
    """``device`` checked: "cpu", "cuda" or "cuda:N", and CUDA only where there is one."""
    import re

    from agentctl.errors import UserError

    if not isinstance(device, str) or not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise UserError(f'go env_kwargs.device must be "cpu", "cuda" or "cuda:N", got {device!r}')
    if device.startswith("cuda"):
        import torch

        index = int(device.partition(":")[2] or 0)
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise UserError(f"go env_kwargs.device={device}: no such CUDA device here "
                            f"({torch.cuda.device_count()} visible); use env_kwargs.device=cpu or run on a GPU machine")
    return device


def _gnugo_level(arg: str | None) -> tuple[int, str]:
    """(level, path) of ``gnugo[:LEVEL]`` (default level 1), refused in one line when the level
    is not GnuGo's or the program is missing (``$GNUGO`` names it)."""
    from agentctl.envs.go.gtp_client import GNUGO_LEVELS, find_gnugo
    from agentctl.errors import Unavailable, UserError

    try:
        level = int(arg) if arg else 1
    except ValueError:
        level = None
    if level not in GNUGO_LEVELS:
        raise UserError(f"gnugo level must be an integer {GNUGO_LEVELS.start}..{GNUGO_LEVELS.stop - 1} "
                        f"(GnuGo's --level), got {arg!r}: use gnugo:0 (weakest) to gnugo:10")
    path = find_gnugo()
    if path is None:
        raise Unavailable("gnugo not found (looked on PATH and /usr/games/gnugo): apt-get install gnugo, "
                          "or set GNUGO to its path")
    return level, path


def make_gnugo(arg: str | None = None, *, seed: int | None = None, env_kwargs: dict | None = None) -> Any:
    """``gnugo`` or ``gnugo:LEVEL`` (default level 1); ``$GNUGO`` names the program."""
    import os

    from agentctl.envs.go.gnugo_opponent import GnuGoOpponent
    from agentctl.envs.go.gtp_client import GTPError
    from agentctl.errors import UserError

    level, path = _gnugo_level(arg)
    env_kwargs = env_kwargs or {}
    try:
        return GnuGoOpponent(level=level, board_size=int(env_kwargs.get("board_size", 9)),
                             komi=float(env_kwargs.get("komi", 7.5)))
    except GTPError as exc:
        named = f"GNUGO={path}" if os.environ.get("GNUGO") else path
        raise UserError(f"cannot run GnuGo ({named}): {exc}; set GNUGO to a working gnugo "
                        "or apt-get install gnugo") from None


class GnuGoTeacher:
    """GnuGo's self-play games as demonstrations for a warm start (``agentctl pretrain --env go
    --teacher gnugo[:LEVEL]``); the games and their replay live in ``agentctl.envs.go.teacher``.
    Every position gets the game's result, and, when the game was played out, the final
    ownership of every point and the final score margin as auxiliary targets."""

    symmetry = "dihedral"  # square boards, actions: the N*N points then pass; ownership [P, N*N]

    def __init__(self, level: int, seed: int, board_size: int, komi: float, history: int) -> None:
        self.level, self.seed = level, seed
        self.board_size, self.komi, self.history = board_size, komi, history

    def generate(self, path: str, games: int, *, workers: int = 2, progress: Any = None) -> int:
        from agentctl.envs.go.gtp_client import GTPError
        from agentctl.envs.go.teacher import generate
        from agentctl.errors import UserError

        self._check_file(path)
        try:
            return generate(path, games, level=self.level, board_size=self.board_size, komi=self.komi,
                            workers=workers, seed=self.seed, progress=progress)
        except GTPError as exc:
            raise UserError(f"GnuGo failed while generating games into {path}: {exc}") from None

    def load(self, path: str) -> dict[str, Any]:
        import numpy as np
        from agentctl.envs.go.teacher import replay
        from agentctl.errors import UserError

        records = self._check_file(path)
        if not records:
            raise UserError(f"games file {path} holds no complete game")
        try:
            data = replay(records, self.history)
        except ValueError as exc:
            raise UserError(f"games file {path}: {exc}") from None
        game = np.repeat(np.arange(len(records)), [len(r["moves"]) for r in records])
        return {"obs": data["obs"], "mask": data["mask"], "action": data["action"], "teacher": data["teacher"],
                "value": data["value"], "game": game,
                "aux": {"ownership": data["ownership"], "score": data["score"]}, "aux_valid": data["has_final"]}

    def _check_file(self, path: str) -> list[dict[str, Any]]:
        """The file's records, refused when they were played on another board, komi or level
        (generation would mix them; training would build the wrong observations)."""
        from pathlib import Path

        from agentctl.envs.go.teacher import read_games
        from agentctl.errors import UserError

        if not Path(path).is_file():
            return []
        records = read_games(path)
        for rec in records[:1]:
            theirs = (int(rec["board_size"]), float(rec["komi"]), int(rec.get("level", self.level)))
            ours = (self.board_size, self.komi, self.level)
            if theirs != ours:
                raise UserError(f"games file {path} holds {theirs[0]}x{theirs[0]} games, komi {theirs[1]}, "
                                f"gnugo level {theirs[2]}; this run wants {ours[0]}x{ours[0]}, komi {ours[1]}, "
                                f"level {ours[2]}: give another --data file or matching settings")
        return records


def make_gnugo_teacher(arg: str | None = None, *, seed: int | None = None, env_kwargs: dict | None = None) -> Any:
    """``gnugo`` or ``gnugo:LEVEL`` (default level 1) as a teacher; ``$GNUGO`` names the program."""
    level, _ = _gnugo_level(arg)
    env_kwargs = env_kwargs or {}
    return GnuGoTeacher(level, int(seed or 0), int(env_kwargs.get("board_size", 9)),
                        float(env_kwargs.get("komi", 7.5)), int(env_kwargs.get("history", 4)))


@agentctl.hookimpl
def register_teachers(register) -> None:
    register("gnugo", "agentctl.plugins.go:make_gnugo_teacher", env="go",
             description="GnuGo self-play games: gnugo[:LEVEL] (needs the gnugo program)")


@agentctl.hookimpl
def register_envs(register) -> None:
    register("go", "agentctl.plugins.go:make_games", kind="multi", policy="resnet",
             description="Go, self-play vs past snapshots (board_size 5-19, default 9; area scoring)",
             default_config=GO_DEFAULTS, reference_env="agentctl.envs.go.env:env", tune_space=GO_TUNE_SPACE)


@agentctl.hookimpl
def register_opponents(register) -> None:
    register("gnugo", "agentctl.plugins.go:make_gnugo", env="go",
             description="GnuGo over GTP: gnugo[:LEVEL] (needs the gnugo program)")


def _agent_chooser(checkpoint: str | None, board_size: int, playouts: int = 0):
    """``choose_move(engine) -> action`` from a checkpoint (greedy, or the most visited move of
    a ``playouts``-playout tree search guided by the net), or None for random play."""
    if not checkpoint:
        if playouts:
            from agentctl.errors import UserError

            raise UserError("--playouts needs --checkpoint (search is guided by a trained net)")
        return None
    from agentctl import checkpoint as ckpt
    from agentctl.assemble import load_policy
    from agentctl.errors import UserError
    from agentctl.host import get_host
    from agentctl.nn.policy import act

    state = ckpt.load(checkpoint)
    if "env" not in state:
        raise UserError(f"{state['path']} is a self-play snapshot (weights only); give the run dir or one of "
                        "its checkpoints/step_*.pt")
    trained_on = state["env"]  # checked before anything is built from it
    if trained_on != get_host().registry.resolve("env", "go").qualified_name:
        raise UserError(f"{checkpoint} is not a Go checkpoint (it was trained on {trained_on!r}): "
                        "give a run dir or checkpoint of `agentctl train --env go`")
    policy, _, _ = load_policy(state, env_kwargs={"board_size": board_size})

    if playouts > 0:
        from agentctl.envs.go.search_state import GoSearchState
        from agentctl.search import MCTS, NetEvaluator

        mcts = MCTS(NetEvaluator(policy))

        def search(engine) -> int:
            return mcts.choose(GoSearchState.of(engine, 0), playouts)

        return search

    def choose(engine) -> int:
        return int(act(policy, engine.observations()[:1], engine.legal_mask()[:1], deterministic=True)[0])

    return choose


PLAYOUTS = click.option("--playouts", type=click.IntRange(min=0), default=0, show_default=True,
                        help="Tree search of N playouts guided by the net per move (0 = the net's greedy move).")


@click.command("play")
@click.option("--checkpoint", type=click.Path(exists=True), help="Go checkpoint or run dir (default: random play).")
@click.option("--color", type=click.Choice(["black", "white"]), default="black", show_default=True)
@click.option("--board-size", type=click.IntRange(5, 19), default=9, show_default=True)
@PLAYOUTS
def play(checkpoint: str | None, color: str, board_size: int, playouts: int) -> None:
    """Play the agent in the terminal (moves like D4, pass, undo, resign, quit)."""
    from agentctl.envs.go.board_text import play_terminal

    play_terminal(_agent_chooser(checkpoint, board_size, playouts), board_size=board_size, human_color=color)


@agentctl.hookimpl
def register_players(register) -> None:
    register("go", "agentctl.plugins.go:play", description="you against a checkpoint (or random play), GTP coordinates")


@agentctl.hookimpl
def register_commands(cli) -> None:
    @cli.command("gtp")
    @click.option("--checkpoint", type=click.Path(exists=True), help="Go checkpoint or run dir (default: random play).")
    @click.option("--board-size", type=click.IntRange(5, 19), default=9, show_default=True)
    @click.option("--komi", type=float, default=7.5, show_default=True)
    @PLAYOUTS
    def gtp(checkpoint: str | None, board_size: int, komi: float, playouts: int) -> None:
        """Speak GTP v2 on stdin/stdout (for GoGui, Sabaki, twogtp, other engines)."""
        from agentctl.envs.go.gtp_server import GTPServer

        GTPServer(_agent_chooser(checkpoint, board_size, playouts), board_size=board_size, komi=komi,
                  name="agentctl").serve()
