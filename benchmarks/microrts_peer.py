"""gym-microrts playing random legal actions: the peer that ``rts_speed.py`` measures beside ours.

Runs in its own virtual environment, not the project's: gym-microrts 0.6.0 needs Python < 3.10,
gym 0.21 and Java (its game engine is the Java microRTS, driven through JPype). Install:

    ~/.pyenv/versions/3.9.18/bin/python -m venv /work/venv-microrts   # any Python 3.7.1-3.9
    /work/venv-microrts/bin/pip install "pip<24.1" "setuptools==65.5.0" "wheel<0.40"
    /work/venv-microrts/bin/pip install "gym==0.21.0"   # its setup.py needs the old setuptools
    /work/venv-microrts/bin/pip install "numpy<1.24" gym-microrts==0.6.0 pillow

and a Java runtime (``apt-get install default-jre-headless``). The package ships microrts.jar, so
nothing is downloaded when it runs. This file imports nothing of agentctl.

The work measured is the loop our engine's benchmark times: get the action masks
(``get_action_mask``), draw a random legal action for every cell from them, step every game
(``step``, which also encodes observations; finished games restart inside it). There is no bot:
each game is a self-play pair of envs, one per player, so ``--envs 512`` is 256 games, and one
step advances every game one tick with both players acting. ``ticks_per_s`` counts game ticks
(the unit of our benchmark); ``env_steps_per_s`` counts gym-microrts's envs (twice as many).

The JVM is told it has one processor and uses the serial collector, like our single-thread engine;
pin the process (``taskset -c 1``) to keep the JIT compiler on the same core.

Prints one JSON line. With ``--serve`` it instead reads a number of seconds per line on stdin and
answers each with one JSON line for that interval (``rts_speed.py`` alternates with it this way).

Usage: python benchmarks/microrts_peer.py [--envs 512] [--seconds 5] [--serve]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("JAVA_TOOL_OPTIONS", "-XX:ActiveProcessorCount=1 -XX:+UseSerialGC")

import numpy as np
from gym_microrts.envs.vec_env import MicroRTSGridModeVecEnv


def make_player(envs: int, map_path: str, max_steps: int, seed: int):
    """Return ``play(seconds) -> dict`` that runs the random-play loop for about that long."""
    if envs < 2 or envs % 2:
        sys.exit(f"error: --envs must be an even number >= 2 (two self-play envs per game), got {envs}")
    env = MicroRTSGridModeVecEnv(num_selfplay_envs=envs, num_bot_envs=0, max_steps=max_steps,
                                 map_paths=[map_path])
    env.reset()
    cuts = np.cumsum(env.action_space_dims)[:-1]  # the mask is the per-component masks side by side
    rng = np.random.default_rng(seed)

    def tick() -> float:
        mask = env.get_action_mask()  # (envs, cells, 78); also sets the source-unit mask step reads
        scores = rng.random(mask.shape) * mask  # uniform among allowed entries of each component
        actions = np.stack([part.argmax(-1) for part in np.split(scores, cuts, axis=-1)], axis=-1)
        start = time.perf_counter()
        env.step(actions)
        return time.perf_counter() - start

    def play(seconds: float) -> dict:
        loops, in_step = 0, 0.0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            in_step += tick()
            loops += 1
        elapsed = time.perf_counter() - start
        return {"loops": loops, "seconds": elapsed, "in_step": in_step,
                "env_steps_per_s": round(loops * envs / elapsed),
                "ticks_per_s": round(loops * envs / 2 / elapsed)}

    for _ in range(20):  # let the JIT compile the step path
        tick()
    return play


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", type=int, default=512, help="self-play envs, two per game")
    parser.add_argument("--map", default="maps/8x8/basesWorkers8x8.xml")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--serve", action="store_true", help="time intervals read from stdin")
    args = parser.parse_args()
    play = make_player(args.envs, args.map, args.max_steps, args.seed)
    if args.serve:
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            print(json.dumps(play(float(line))), flush=True)
        return
    result = play(args.seconds)
    print(json.dumps({"bench": "gym_microrts_random_play", "map": args.map, "envs": args.envs,
                      "games": args.envs // 2, "ticks_per_s": result["ticks_per_s"],
                      "env_steps_per_s": result["env_steps_per_s"],
                      "step_share": round(result["in_step"] / result["seconds"], 3),
                      "seconds": round(result["seconds"], 2)}))


if __name__ == "__main__":
    main()
