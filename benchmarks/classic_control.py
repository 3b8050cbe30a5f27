"""agentctl PPO on Gymnasium's classic control tasks, beside rl-zoo's published PPO scores.

    python benchmarks/classic_control.py                                  # all four envs, seeds 1,2,3
    python benchmarks/classic_control.py --envs acrobot,mountaincar --seeds 1
    python benchmarks/classic_control.py --envs cartpole --steps 50000    # a smaller budget

Each (env, seed) trains in a fresh subprocess through ``agentctl.run.train`` with the classic
plugin's default config for that env (rl-zoo's PPO hyperparameters; acrobot, mountaincar and
pendulum with normalised observations and scaled rewards), ``torch_threads`` 1, on the CPU,
for the env's default budget (rl-zoo's ``n_timesteps``) unless ``--steps``. Its final
checkpoint is then scored by ``agentctl.evaluate.evaluate`` (what ``agentctl eval`` runs,
checkpoint's observation statistics applied frozen): the mean return of 20 deterministic
episodes.

Output: one JSON line per env: the mean over seeds of those final scores, each seed's score
and wall time, rl-zoo's published score and our target.

Published scores: rl-baselines3-zoo ``benchmark.md`` ("Performance of trained agents", one
trained agent each, deterministic policy, about 150k evaluation steps):
    ppo CartPole-v1     500.000 +- 0.000    (100k steps)
    ppo Acrobot-v1      -73.506 +- 18.201   (1M steps)
    ppo MountainCar-v0 -110.423 +- 19.473   (1M steps)
    ppo Pendulum-v1    -172.225 +- 104.159  (100k steps; with gSDE, which our Gaussian policy lacks.
                                              Older versions of the table list Pendulum-v0 at -169.887 (2M))

Measured on a shared 2-core dev VM (torch_threads 1, default budgets, seeds 1, 2, 3; 20 deterministic
episodes each; train wall 1.5-18 min per run depending on the machine's load):
    cartpole      500.0   500.0   500.0    mean  500.0   (target 500)
    acrobot       -73.55  -70.65  -79.75   mean  -74.65  (target -80)
    mountaincar  -103.05 -116.35 -118.45   mean -112.62  (target -115)
    pendulum     -188.41 -195.05 -190.97   mean -191.48  (target -250)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

EVAL_EPISODES = 20

# env -> (Gymnasium id, rl-zoo PPO mean, std, our target: the final mean must reach it)
PUBLISHED = {
    "cartpole": ("CartPole-v1", 500.0, 0.0, 500.0),
    "acrobot": ("Acrobot-v1", -73.506, 18.201, -80.0),
    "mountaincar": ("MountainCar-v0", -110.423, 19.473, -115.0),
    "pendulum": ("Pendulum-v1", -172.225, 104.159, -250.0),
}


def worker(env: str, seed: int, steps: int | None, sets: list[str]) -> dict:
    """Train one seed of ``env`` and score its final checkpoint (run in a subprocess)."""
    import agentctl  # noqa: F401  (before torch: the process settings a user of the CLI gets)
    import torch

    torch.set_num_threads(1)
    from agentctl.config import parse_set
    from agentctl.evaluate import evaluate
    from agentctl.run import TrainRequest, train

    overrides = {"seed": seed, "torch_threads": 1, "device": "cpu", "tensorboard": False, "checkpoint_every": 0,
                 **parse_set(sets)}
    if steps:
        overrides["total_timesteps"] = steps
    with tempfile.TemporaryDirectory(prefix=f"classic-{env}-") as tmp:
        t0 = time.perf_counter()
        summary = train(TrainRequest(env=env, overrides=overrides, run_dir=f"{tmp}/run", quiet=True))
        wall = time.perf_counter() - t0
        result = evaluate(summary["checkpoint"], episodes=EVAL_EPISODES, deterministic=True)
    return {"env": env, "seed": seed, "steps": summary["steps"], "train_wall_s": round(wall, 1),
            "mean_return": result["mean_return"], "std_return": result["std_return"]}


def run_one(env: str, seed: int, steps: int | None, sets: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--envs", env, "--seeds", str(seed)]
    cmd += [arg for item in sets for arg in ("--set", item)]
    if steps:
        cmd += ["--steps", str(steps)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def available_envs() -> set[str]:
    from agentctl.plugins.classic import CLASSIC

    return set(CLASSIC)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--envs", default=",".join(PUBLISHED), help="comma-separated: " + ", ".join(PUBLISHED))
    ap.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    ap.add_argument("--steps", type=int, default=None, help="training steps per run (default: the env's budget)")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                    help="a config override for every run (repeatable), e.g. fused_update=false")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    envs = [e.strip() for e in args.envs.split(",") if e.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    unknown = sorted(set(envs) - set(PUBLISHED))
    if unknown:
        ap.error(f"unknown env(s) {unknown}; choose from {', '.join(PUBLISHED)}")
    if args.worker:
        print(json.dumps(worker(envs[0], seeds[0], args.steps, args.sets)))
        return
    have = available_envs()
    for env in envs:
        gym_id, published, published_std, target = PUBLISHED[env]
        if env not in have:
            print(json.dumps({"env": env, "skipped": f"the classic plugin has no {env!r} entry yet"}), flush=True)
            continue
        runs = [run_one(env, seed, args.steps, args.sets) for seed in seeds]
        mean = sum(r["mean_return"] for r in runs) / len(runs)
        print(json.dumps({
            "env": env, "gym_id": gym_id, "seeds": seeds, "eval_episodes": EVAL_EPISODES,
            "mean_return": round(mean, 2), "per_seed": [round(r["mean_return"], 2) for r in runs],
            "train_wall_s": [r["train_wall_s"] for r in runs], "steps": runs[0]["steps"],
            "rl_zoo_ppo": published, "rl_zoo_ppo_std": published_std,
            "target": target, "reached": mean >= target, "sets": args.sets,
        }), flush=True)


if __name__ == "__main__":
    main()
