"""agentctl PPO vs Stable-Baselines3 PPO on CartPole-v1, same hyperparameters, same run.

    python benchmarks/cartpole_vs_sb3.py                      # 100k steps, seed 1, threads 1,2
    python benchmarks/cartpole_vs_sb3.py --threads 1 --seeds 1,2,3 --steps 100000

Both sides use rl-zoo's CartPole set: 8 envs, n_steps 32, minibatch 256, 20 epochs,
gamma 0.98, gae_lambda 0.8, lr 1e-3 and clip 0.2 both decayed linearly, ent_coef 0, unclipped
value loss (SB3's vf_coef 0.5 on MSE == ours 1.0 on 0.5*MSE), grad-norm clip 0.5, Adam eps 1e-5,
64x64 tanh separate actor/critic. Ours is built through the library API (classic plugin's
default config -> ``agentctl.config.resolve``, the plugin's env maker, ``build_mlp``,
``Trainer.step`` until total steps); SB3 is ``PPO("MlpPolicy", make_vec_env(...))``
(stable-baselines3 is installed for this benchmark only, it is not a dependency).

Every (side, threads, seed) runs in a fresh subprocess with ``torch.set_num_threads(k)``.
The timed region is training only (env construction through the last update; no TensorBoard,
no progress bar, no checkpoint on either side). env-steps/s counts the transitions each side
trains on: ours excludes Gymnasium's autoreset steps (one per finished episode, ~0.3% here), SB3's
DummyVecEnv resets inside ``step``. Final return: 20 deterministic episodes on fresh
CartPole-v1 envs seeded ``seed + 10_000 + i``, the same evaluation code for both sides.
Ratios printed are from the same invocation (sides interleaved per seed).

Output: one JSON line per thread count (means over seeds; per-seed values in ``runs``).

Measured, 100k steps, seed 1, eval = 20 deterministic episodes (both sides 500.0 everywhere):
    quiet 16-core Intel Xeon, torch 2.11, after the MLP-forward/trainer speed-ups:
      threads 1: ours 5,296 env-steps/s, SB3 3,093, ratio 1.71
      threads 2: ours 4,676 env-steps/s, SB3 2,724, ratio 1.72
    2-core dev VM, torch 2.13, before them (shared and noisy: SB3 ranges 3,300-6,300 at 1 thread):
      threads 1: ours 9,100 env-steps/s, SB3 6,322, ratio 1.44
      threads 2: ours 1,554 env-steps/s, SB3 3,259, ratio 0.48
On the 2-vCPU VM a second OpenMP/MKL thread costs far more than it saves on these tiny
tensors (spin/wake-up; OMP_WAIT_POLICY=PASSIVE cuts it ~5x): compare 2-thread numbers only
within one invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

EVAL_EPISODES = 20


def _evaluate(act, seed: int, episodes: int = EVAL_EPISODES) -> float:
    """Mean return of ``episodes`` deterministic episodes; ``act(obs[1, 4]) -> actions[1]``."""
    import gymnasium as gym
    import numpy as np

    env = gym.make("CartPole-v1")
    returns = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + 10_000 + i)
        total, done = 0.0, False
        while not done:
            obs, reward, term, trunc, _ = env.step(int(act(obs[None])[0]))
            total += float(reward)
            done = term or trunc
        returns.append(total)
    env.close()
    return float(np.mean(returns))


def run_ours(steps: int, seed: int) -> dict:
    import torch
    from agentctl.config import resolve
    from agentctl.nn.mlp import build_mlp
    from agentctl.plugins import classic
    from agentctl.ppo.rollout import inner_space
    from agentctl.ppo.trainer import Trainer
    from agentctl.run import seed_everything

    env_id, _, default_config = classic.CLASSIC["cartpole"]
    cfg = resolve(default_config, {"total_timesteps": steps, "seed": seed, "tensorboard": False,
                                   "device": "cpu", "torch_threads": torch.get_num_threads()})
    start = time.perf_counter()
    seed_everything(cfg.seed)
    envs = classic.make_vector_env(env_id, cfg.num_envs, cfg.seed)
    policy = build_mlp(inner_space(envs.single_observation_space), envs.single_action_space,
                       **cfg.policy_kwargs)
    trainer = Trainer(cfg, envs, policy, torch.device("cpu"))
    while trainer.global_step < cfg.total_timesteps:
        trainer.step()
    wall = time.perf_counter() - start
    envs.close()

    policy.eval()

    def act(obs):
        with torch.inference_mode():
            logits, _ = policy(torch.as_tensor(obs, dtype=torch.float32))
            return policy.dist.mode(logits).numpy()

    return {"steps": trainer.global_step, "wall_s": wall, "sps": trainer.global_step / wall,
            "eval_return": _evaluate(act, seed)}


def run_sb3(steps: int, seed: int) -> dict:
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    def linear(start: float):
        return lambda progress_remaining: progress_remaining * start

    start = time.perf_counter()
    envs = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
    model = PPO("MlpPolicy", envs, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98,
                n_epochs=20, learning_rate=linear(1e-3), clip_range=linear(0.2), ent_coef=0.0,
                device="cpu", seed=seed, verbose=0)
    model.learn(total_timesteps=steps)
    wall = time.perf_counter() - start
    envs.close()

    def act(obs):
        return model.predict(obs, deterministic=True)[0]

    return {"steps": int(model.num_timesteps), "wall_s": wall, "sps": model.num_timesteps / wall,
            "eval_return": _evaluate(act, seed)}


def worker(side: str, threads: int, steps: int, seed: int) -> None:
    import torch

    torch.set_num_threads(threads)
    result = (run_ours if side == "ours" else run_sb3)(steps, seed)
    result["threads"] = torch.get_num_threads()
    print(json.dumps(result))


def _spawn(side: str, threads: int, steps: int, seed: int) -> subprocess.Popen:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", side, "--threads", str(threads),
           "--steps", str(steps), "--seeds", str(seed)]
    # Both sides get the OpenMP wait policy agentctl sets for itself (idle threads sleep): with the
    # spinning default, 2 threads on a busy 2-core machine are many times slower for either side.
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"worker failed ({proc.returncode}):\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2", help="comma-separated torch thread counts")
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--seeds", default="1", help="comma-separated seeds")
    ap.add_argument("--concurrent", action="store_true",
                    help="run the two sides at the same time (for a shared machine whose load drifts)")
    ap.add_argument("--worker", choices=("ours", "sb3"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.worker:
        worker(args.worker, threads[0], args.steps, seeds[0])
        return
    mean = lambda xs: sum(xs) / len(xs)
    for k in threads:
        runs = []
        for seed in seeds:
            if args.concurrent:  # both sides meet the same load (a shared machine's load drifts)
                procs = [_spawn(side, k, args.steps, seed) for side in ("ours", "sb3")]
                ours, sb3 = (_result(p) for p in procs)
            else:
                ours = _result(_spawn("ours", k, args.steps, seed))
                sb3 = _result(_spawn("sb3", k, args.steps, seed))
            runs.append({"seed": seed, "ours_sps": round(ours["sps"], 1), "sb3_sps": round(sb3["sps"], 1),
                         "ours_eval_return": ours["eval_return"], "sb3_eval_return": sb3["eval_return"]})
        ours_sps, sb3_sps = mean([r["ours_sps"] for r in runs]), mean([r["sb3_sps"] for r in runs])
        print(json.dumps({
            "case": "cartpole_ppo", "threads": k, "steps": args.steps, "seeds": seeds, "concurrent": args.concurrent,
            "ours_sps": round(ours_sps, 1), "sb3_sps": round(sb3_sps, 1),
            "ratio": round(ours_sps / sb3_sps, 2),
            "ours_eval_return": mean([r["ours_eval_return"] for r in runs]),
            "sb3_eval_return": mean([r["sb3_eval_return"] for r in runs]),
            "runs": runs,
        }), flush=True)


if __name__ == "__main__":
    main()
