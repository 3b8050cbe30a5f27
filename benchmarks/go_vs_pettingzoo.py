"""Random legal Go play: our batched engine vs PettingZoo classic Go vs OpenSpiel Go.

One step = one move on one board, including building the mover's observation planes
and legal-move mask.  Ours: ``GoEngine`` with a batch of boards (finished boards
reset), observations rebuilt after every batched step.  PettingZoo: ``go_v5`` AEC
loop (``last()`` builds obs + mask).  OpenSpiel (C++ through pyspiel): per step
``legal_actions()``, ``observation_tensor()``, ``apply_action``.

Prints one JSON line per (peer, size):
  {"bench": "go_random_play", "peer": ..., "board_size": ..., "ours_steps_per_s": ...,
   "peer_steps_per_s": ..., "ratio": ..., "ours_parallel_steps_per_s": ...,
   "ratio_parallel": ...}
``ratio``: ours on one thread (serial numba kernels, the default) / peer (one thread);
``ratio_parallel``: ours with ``parallel=True`` (numba prange over all cores).
``torch_cpu_steps_per_s``: the torch engine (``TorchGoEngine``, same rules) on the CPU with
``--torch-threads`` threads, same batch; ``torch_cuda_steps_per_s`` (only when CUDA is available):
{batch: steps/s} on the GPU.  Its random moves are drawn on the device (argmax of uniform noise
over the legal mask) and stepped unchecked, as they are legal by construction.

Usage: python benchmarks/go_vs_pettingzoo.py [--sizes 9 19] [--batch 1024] [--seconds 3]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time

import numpy as np


def bench_ours(n: int, batch: int, seconds: float, parallel: bool = False) -> float:
    from agentctl.envs.go import GoEngine
    env = GoEngine(batch, board_size=n, parallel=parallel)
    env.random_actions(seed=0)  # seeds the move sampler
    # warm-up (jit compile / cache load)
    for _ in range(3):
        env.step(env.random_actions())
        env.observations()
    env.reset()
    steps = 0
    t0 = time.perf_counter()
    while True:
        live = int((~env.done).sum())
        env.step(env.random_actions())
        obs = env.observations()
        mask = env.legal_mask()
        steps += live
        if env.done.any():
            env.reset(env.done)
        el = time.perf_counter() - t0
        if el > seconds:
            break
    assert obs.shape[0] == batch and mask.shape[0] == batch
    return steps / el


def bench_torch(n: int, batch: int, seconds: float, device: str = "cpu") -> float:
    import torch
    from agentctl.envs.go.torch_engine import TorchGoEngine
    env = TorchGoEngine(batch, board_size=n, device=device)
    gen = torch.Generator(device=device).manual_seed(0)
    for _ in range(3):  # warm-up (allocator, CUDA context)
        env.step(env.random_actions(gen), check=False)
        env.observations()
    env.reset()
    steps = torch.zeros((), dtype=torch.int64, device=device)
    t0 = time.perf_counter()
    while True:
        steps += (~env.done).sum()
        env.step(env.random_actions(gen), check=False)
        obs = env.observations()
        mask = env.legal_mask()
        env.reset(env.done)
        if device != "cpu":
            torch.cuda.synchronize()
        el = time.perf_counter() - t0
        if el > seconds:
            break
    assert obs.shape[0] == batch and mask.shape[0] == batch
    return int(steps) / el


def bench_pettingzoo(n: int, seconds: float) -> float:
    from pettingzoo.classic import go_v5
    env = go_v5.env(board_size=n)
    rng = random.Random(0)
    steps = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        env.reset(seed=rng.randrange(1 << 30))
        for agent in env.agent_iter():
            obs, _, term, trunc, _ = env.last()
            if term or trunc:
                env.step(None)
                continue
            legal = np.flatnonzero(obs["action_mask"])
            env.step(int(legal[rng.randrange(len(legal))]))
            steps += 1
    return steps / (time.perf_counter() - t0)


def bench_openspiel(n: int, seconds: float) -> float:
    import pyspiel
    game = pyspiel.load_game("go", {"board_size": n})
    rng = random.Random(0)
    steps = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        st = game.new_initial_state()
        while not st.is_terminal():
            legal = st.legal_actions()
            obs = st.observation_tensor(st.current_player())
            st.apply_action(legal[rng.randrange(len(legal))])
            steps += 1
    del obs
    return steps / (time.perf_counter() - t0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[9, 19])
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--peers", nargs="+", default=["pettingzoo", "openspiel"])
    ap.add_argument("--torch-threads", type=int, default=2)
    ap.add_argument("--cuda-batches", type=int, nargs="+", default=[1024, 4096])
    args = ap.parse_args(argv)
    import numba
    import torch
    torch.set_num_threads(args.torch_threads)
    for n in args.sizes:
        ours = bench_ours(n, args.batch, args.seconds)
        ours_par = bench_ours(n, args.batch, args.seconds, parallel=True)
        extra = {"torch_threads": args.torch_threads,
                 "torch_cpu_steps_per_s": round(bench_torch(n, args.batch, args.seconds))}
        if torch.cuda.is_available():
            extra["torch_cuda_steps_per_s"] = {
                str(b): round(bench_torch(n, b, args.seconds, "cuda")) for b in args.cuda_batches}
        for peer in args.peers:
            try:
                fn = {"pettingzoo": bench_pettingzoo, "openspiel": bench_openspiel}[peer]
                p = fn(n, args.seconds)
            except ImportError as e:
                print(json.dumps({"bench": "go_random_play", "peer": peer, "board_size": n,
                                  "skipped": f"{peer} not installed: {e}"}), flush=True)
                continue
            print(json.dumps({
                "bench": "go_random_play", "peer": peer, "board_size": n,
                "batch": args.batch, "numba_threads_parallel": numba.get_num_threads(),
                "cpus": os.cpu_count(),
                "ours_steps_per_s": round(ours), "peer_steps_per_s": round(p),
                "ratio": round(ours / p, 2),
                "ours_parallel_steps_per_s": round(ours_par),
                "ratio_parallel": round(ours_par / p, 2), **extra}), flush=True)


if __name__ == "__main__":
    main()
