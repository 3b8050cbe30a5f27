"""Env-steps per second: one process vs Ray rollout workers (1 and 2), for CartPole and Go.

For each env and mode it prepares a run exactly as ``agentctl train`` does (``--backend ray
--num-workers N`` for the Ray modes), runs a few warm-up updates, then times ``UPDATES``
updates, and prints one JSON line:

- ``collect_steps_per_s``: env steps collected per second of collecting (rollouts only);
- ``train_steps_per_s``: env steps per second of whole updates (collect + PPO update);
- ``collect_ms`` / ``update_ms``: per update;
- ``ray_overhead_ms`` (Ray modes): per update, the learner's collect time minus the slowest
  worker's own collecting time (measured inside the worker): the weights put in the object
  store, the workers' ``load_state_dict``, the rollouts sent back and concatenated, scheduling.
  The price of Ray per update, measured within one run, so load from other processes on the
  machine shifts it little;
- ``overhead_ms`` (Ray modes): ``collect_ms`` minus the local run's collect time divided by the
  workers: what Ray costs beyond a perfect split of the local work, contention included.

    python benchmarks/scale.py [--updates 20] [--envs cartpole,go] [--num-envs N]

Workers and the learner share this machine's cores: on a 2-core VM two workers plus the
learner oversubscribe it, and the numbers say so.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import torch


def measure(env: str, workers: int, updates: int, warmup: int, overrides: dict) -> dict:
    from agentctl.host import get_host
    from agentctl.ray_rollout import RayOptions
    from agentctl.run import TrainRequest, plan, prepare

    registry = get_host().registry
    with tempfile.TemporaryDirectory() as tmp:
        req = TrainRequest(env=env, run_dir=tmp, overrides={"tensorboard": False, "total_timesteps": 10**9,
                                                             **overrides})
        spec, cfg, run_dir, state = plan(req, registry)
        run = prepare(registry, spec, cfg, run_dir, state, workers=RayOptions(workers) if workers else None)
        trainer = run.trainer
        try:
            for _ in range(warmup):  # numba compiles, Ray workers start, caches fill
                trainer.step()
            gang = getattr(trainer.envs, "gang", None)
            if gang is not None:  # book from here on: the warm-up waited for the workers to start
                gang.overhead_s, gang.calls = 0.0, 0
            collect = update = 0.0
            steps0 = trainer.global_step
            for _ in range(updates):
                metrics = trainer.step()
                collect += metrics["rollout_s"]
                update += metrics["update_s"]
            steps = trainer.global_step - steps0
            ray_ms = None if gang is None else round(1000 * gang.overhead_s / gang.calls, 2)
        finally:
            trainer.envs.close()
    return {"env": env, "mode": f"ray-{workers}" if workers else "local", "workers": workers,
            "num_envs": cfg.num_envs, "num_steps": cfg.num_steps, "updates": updates, "steps": steps,
            "collect_steps_per_s": round(steps / collect, 1), "train_steps_per_s": round(steps / (collect + update), 1),
            "collect_ms": round(1000 * collect / updates, 2), "update_ms": round(1000 * update / updates, 2),
            **({} if ray_ms is None else {"ray_overhead_ms": ray_ms})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--envs", default="cartpole,go")
    parser.add_argument("--num-envs", type=int, help="override num_envs (default: each env's own)")
    parser.add_argument("--workers", default="1,2", help="Ray worker counts to measure")
    opts = parser.parse_args()
    torch.set_num_threads(1)
    import ray

    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, configure_logging=False, log_to_driver=False)
    overrides = {"num_envs": opts.num_envs} if opts.num_envs else {}
    for env in opts.envs.split(","):
        local = measure(env, 0, opts.updates, opts.warmup, overrides)
        print(json.dumps(local), flush=True)
        for n in map(int, opts.workers.split(",")):
            row = measure(env, n, opts.updates, opts.warmup, overrides)
            row["overhead_ms"] = round(row["collect_ms"] - local["collect_ms"] / n, 2)
            row["collect_speedup"] = round(row["collect_steps_per_s"] / local["collect_steps_per_s"], 2)
            print(json.dumps(row), flush=True)
            time.sleep(1)  # let the killed workers' processes go before the next start
    ray.shutdown()


if __name__ == "__main__":
    main()
