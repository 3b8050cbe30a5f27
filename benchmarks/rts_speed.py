"""Game ticks per second of the batched RTS engine playing random legal actions.

One tick = one game advanced one tick with both players acting. Each tick of the loop builds
both players' action masks (``action_masks``), draws random legal actions from them
(``sample_actions``), steps every game (``step``) and restarts finished ones (``reset_games``):
the work a training rollout needs besides the policy. Single thread (serial numba kernels).

Beside gym-microrts in the same run, where it is installed: ``benchmarks/microrts_peer.py`` runs
gym-microrts (Java microRTS behind JPype) on its basesWorkers map of the same size in a subprocess, in its own
virtual environment, because it needs Java and Python < 3.10. Its docstring gives the install
commands; in short::

    ~/.pyenv/versions/3.9.18/bin/python -m venv /work/venv-microrts
    /work/venv-microrts/bin/pip install "pip<24.1" "setuptools==65.5.0" "wheel<0.40"
    /work/venv-microrts/bin/pip install "gym==0.21.0"
    /work/venv-microrts/bin/pip install "numpy<1.24" gym-microrts==0.6.0 pillow

The peer plays the same loop (masks, random legal actions, step) with as many games as ours, each
game a self-play pair of gym-microrts envs. The two alternate in ``--rounds`` slices of equal
length, so background load hits both alike. ``--peer-python`` names the peer's interpreter
(default: ``$MICRORTS_PYTHON``, else /work/venv-microrts/bin/python if it exists; ``''`` for none).
Without the peer the line carries the figure gym-microrts measured for orientation on these
machines, about 5.4k steps/s with random actions on the 8x8 map; the target is at least 5x.

Prints one JSON line:
  {"bench": "rts_random_play", "map": ..., "games": ..., "ticks_per_s": ..., "step_share": ...,
   "gym_microrts_steps_per_s": ..., "ratio_vs_gym_microrts": ..., ...}
or, without the peer, ``"gym_microrts_reference_steps_per_s": 5400, "ratio_vs_reference": ...``.
``step_share``: the fraction of the time spent in ``step`` itself (the rest is masks + sampling).
``gym_microrts_steps_per_s`` counts game ticks like ``ticks_per_s``;
``gym_microrts_env_steps_per_s`` counts its self-play envs (two per game, so twice as many).

Usage: python benchmarks/rts_speed.py [--map 8x8_basesworkers] [--games 256] [--seconds 5]
                                      [--rounds 5] [--peer-python PATH]
Pin it to one core for a fair single-thread comparison: ``taskset -c 1 python ...``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from agentctl.envs import rts

GYM_MICRORTS_STEPS_PER_S = 5400  # measured for orientation on these machines, 8x8 map
PEER_SCRIPT = Path(__file__).with_name("microrts_peer.py")
PEER_MAPS = {"8x8_basesworkers": "maps/8x8/basesWorkers8x8.xml",  # gym-microrts's closest maps
             "16x16_basesworkers": "maps/16x16/basesWorkers16x16.xml"}
DEFAULT_PEER_PYTHON = "/work/venv-microrts/bin/python"


def make_player(map_name: str, games: int, max_ticks: int, seed: int) -> Callable[[float], dict]:
    """Return ``play(seconds)`` that runs our random-play loop for about that long."""
    state = rts.new_games(rts.load_map(map_name), games, max_ticks=max_ticks)
    rng = np.random.default_rng(seed)

    def tick() -> float:
        a0 = rts.sample_actions(rts.action_masks(state, 0), rng)
        a1 = rts.sample_actions(rts.action_masks(state, 1), rng)
        t = time.perf_counter()
        rts.step(state, a0, a1)
        spent = time.perf_counter() - t
        if state.done.any():
            rts.reset_games(state, state.done)
        return spent

    def play(seconds: float) -> dict:
        loops, in_step = 0, 0.0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            in_step += tick()
            loops += 1
        return {"loops": loops, "seconds": time.perf_counter() - start, "in_step": in_step,
                "illegal_orders": int(state.illegal.sum())}

    for _ in range(3):  # compile, or load the numba cache
        tick()
    return play


class Peer:
    """gym-microrts in a subprocess of its own Python, timed an interval at a time."""

    def __init__(self, python: str, peer_map: str, games: int, max_ticks: int, seed: int) -> None:
        # the JVM's chatter, shown if it fails; open as long as the peer runs
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        command = [python, str(PEER_SCRIPT), "--serve", "--envs", str(2 * games), "--map", peer_map,
                   "--max-steps", str(max_ticks), "--seed", str(seed)]
        try:
            self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.log, text=True)
        except OSError as exc:
            sys.exit(f"error: cannot start the gym-microrts peer {python!r} ({exc.strerror}); "
                     "install it as the docstring says or pass --peer-python ''")
        self._read()  # {"ready": true} once the JVM is up and warm

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.log.seek(0)
            sys.exit(f"error: the gym-microrts peer stopped (exit {self.proc.returncode}); install "
                     f"it as the docstring says or pass --peer-python ''\n{self.log.read()[-2000:]}")
        return json.loads(line)

    def play(self, seconds: float) -> dict:
        self.proc.stdin.write(f"{seconds}\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()
        self.log.close()


def default_peer_python() -> str:
    if "MICRORTS_PYTHON" in os.environ:
        return os.environ["MICRORTS_PYTHON"]
    return DEFAULT_PEER_PYTHON if Path(DEFAULT_PEER_PYTHON).exists() else ""


def bench(map_name: str, games: int, seconds: float, max_ticks: int, seed: int, rounds: int,
          peer_python: str) -> dict:
    ours = make_player(map_name, games, max_ticks, seed)
    peer_map = PEER_MAPS.get(map_name)
    peer = Peer(peer_python, peer_map, games, max_ticks, seed) if peer_python and peer_map else None
    mine, theirs = [], []
    for _ in range(rounds):  # alternate so background load falls on both alike
        mine.append(ours(seconds / rounds))
        if peer:
            theirs.append(peer.play(seconds / rounds))
    if peer:
        peer.close()
    elapsed = sum(r["seconds"] for r in mine)
    rate = sum(r["loops"] for r in mine) * games / elapsed
    result = {"bench": "rts_random_play", "map": map_name, "games": games, "ticks_per_s": round(rate),
              "step_share": round(sum(r["in_step"] for r in mine) / elapsed, 3),
              "seconds": round(elapsed, 2), "illegal_orders": mine[-1]["illegal_orders"]}
    if not peer:
        return {**result, "gym_microrts_reference_steps_per_s": GYM_MICRORTS_STEPS_PER_S,
                "ratio_vs_reference": round(rate / GYM_MICRORTS_STEPS_PER_S, 1)}
    peer_elapsed = sum(r["seconds"] for r in theirs)
    peer_rate = sum(r["loops"] for r in theirs) * games / peer_elapsed  # game ticks, as ours
    return {**result, "gym_microrts_steps_per_s": round(peer_rate),
            "ratio_vs_gym_microrts": round(rate / peer_rate, 1),
            "gym_microrts_env_steps_per_s": round(2 * peer_rate),
            "gym_microrts_map": peer_map, "gym_microrts_envs": 2 * games,
            "gym_microrts_seconds": round(peer_elapsed, 2), "rounds": rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--map", default="8x8_basesworkers")
    parser.add_argument("--games", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=5.0, help="for each engine")
    parser.add_argument("--rounds", type=int, default=5, help="alternating slices per engine")
    parser.add_argument("--max-ticks", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--peer-python", default=default_peer_python(),
                        help="Python with gym-microrts installed; '' to use the orientation figure")
    args = parser.parse_args()
    print(json.dumps(bench(args.map, args.games, args.seconds, args.max_ticks, args.seed,
                           args.rounds, args.peer_python)))


if __name__ == "__main__":
    main()
