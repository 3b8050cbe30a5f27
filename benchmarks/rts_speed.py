"""Game ticks per second of the batched RTS engine playing random legal actions.

One tick = one game advanced one tick with both players acting. Each tick of the loop builds
both players' action masks (``action_masks``), draws random legal actions from them
(``sample_actions``), steps every game (``step``) and restarts finished ones (``reset_games``):
the work a training rollout needs besides the policy. Single thread (serial numba kernels).

For orientation, gym-microrts (Java microRTS behind a Python bridge; it needs Java and an older
Python, so it is not run here) measured about 5.4k steps/s with random actions on the 8x8 map
on these machines; the target is at least 5x that.

Prints one JSON line:
  {"bench": "rts_random_play", "map": ..., "games": ..., "ticks_per_s": ..., "step_share": ...,
   "gym_microrts_reference_steps_per_s": 5400, "ratio_vs_reference": ...}
``step_share``: the fraction of the time spent in ``step`` itself (the rest is masks + sampling).

Usage: python benchmarks/rts_speed.py [--map 8x8_basesworkers] [--games 256] [--seconds 5]
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
from agentctl.envs import rts

GYM_MICRORTS_STEPS_PER_S = 5400  # measured for orientation on these machines, 8x8 map


def bench(map_name: str, games: int, seconds: float, max_ticks: int, seed: int) -> dict:
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

    for _ in range(3):  # compile, or load the numba cache
        tick()
    loops, in_step, finished = 0, 0.0, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        finished += int(state.done.sum())
        in_step += tick()
        loops += 1
    elapsed = time.perf_counter() - start
    rate = loops * games / elapsed
    return {"bench": "rts_random_play", "map": map_name, "games": games, "ticks_per_s": round(rate),
            "step_share": round(in_step / elapsed, 3), "seconds": round(elapsed, 2),
            "illegal_orders": int(state.illegal.sum()),
            "gym_microrts_reference_steps_per_s": GYM_MICRORTS_STEPS_PER_S,
            "ratio_vs_reference": round(rate / GYM_MICRORTS_STEPS_PER_S, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--map", default="8x8_basesworkers")
    parser.add_argument("--games", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-ticks", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(bench(args.map, args.games, args.seconds, args.max_ticks, args.seed)))


if __name__ == "__main__":
    main()
