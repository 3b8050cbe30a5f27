"""agentctl PPO vs Stable-Baselines3 PPO on Gymnasium MuJoCo tasks, CleanRL's hyperparameters, same run.

    pip install "agentctl[mujoco,bench]"
    python benchmarks/mujoco_vs_cleanrl.py                          # HalfCheetah-v5, Hopper-v5, 1M steps, seed 1
    python benchmarks/mujoco_vs_cleanrl.py --envs Hopper-v5 --steps 200000 --seeds 1,2

Both sides use CleanRL's ``ppo_continuous_action.py`` defaults: 1 env, 2048 steps per rollout,
minibatch 64 (32 per rollout), 10 epochs, lr 3e-4 decayed linearly, gamma 0.99, GAE lambda 0.95,
clip 0.2, value clipping 0.2, entropy 0, value coef 0.5, grad-norm clip 0.5, advantages
normalised per minibatch; 64x64 tanh separate actor and critic, state-independent log-std
starting at 0, actions clipped to the bounds; observations normalised (clip 10) and rewards
scaled by the running std of the discounted return (clip 10). Ours: `gym:ENV` with those keys
(``normalize_obs``, ``normalize_reward``) through ``agentctl.run.train``, evaluated with
``agentctl.evaluate.evaluate`` (the `agentctl eval` path, statistics frozen); SB3:
``PPO("MlpPolicy", VecNormalize(...))`` with the same numbers, evaluated on a frozen copy of its
VecNormalize. stable-baselines3 is a benchmark-only requirement, never a dependency.

Each (env, seed) runs our side and SB3's side **at the same time**, one subprocess each with
one torch thread, so both meet the same machine load (on a shared 2-core VM, sequential runs
are not comparable); ``--sequential`` runs them one after the other instead.

Output, one JSON line per (env, seed): env-steps/s of each side and their ratio, the mean raw
return of the last 20 training episodes and of 10 deterministic evaluation episodes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CLEANRL = {  # ppo_continuous_action.py defaults, in our config's names
    "num_envs": 1, "num_steps": 2048, "minibatch_size": 64, "update_epochs": 10, "learning_rate": 3e-4,
    "anneal_lr": True, "gamma": 0.99, "gae_lambda": 0.95, "clip_coef": 0.2, "clip_vloss": True,
    "vf_clip_coef": 0.2, "ent_coef": 0.0, "vf_coef": 0.5, "max_grad_norm": 0.5, "norm_adv": True,
    "normalize_obs": True, "normalize_reward": True, "clip_obs": 10.0, "clip_reward": 10.0,
    "torch_threads": 1, "tensorboard": False, "checkpoint_every": 0, "device": "cpu",
}
EVAL_EPISODES = 10


def run_ours(env_id: str, steps: int, seed: int) -> dict:
    import agentctl  # noqa: F401  (before torch: the process settings a user of the CLI gets)
    from agentctl.evaluate import evaluate
    from agentctl.run import TrainRequest, train

    run_dir = tempfile.mkdtemp(prefix=f"mujoco-{env_id}-")
    start = time.perf_counter()
    summary = train(TrainRequest(env=f"gym:{env_id}", overrides={**CLEANRL, "total_timesteps": steps, "seed": seed},
                                 run_dir=run_dir, quiet=True))
    wall = time.perf_counter() - start
    result = evaluate(run_dir, episodes=EVAL_EPISODES, deterministic=True, seed=seed + 10_000)
    return {"steps": summary["steps"], "wall_s": wall, "sps": summary["steps"] / wall,
            "train_return": summary["last_mean_return"], "eval_return": result["mean_return"]}


def run_sb3(env_id: str, steps: int, seed: int) -> dict:
    import gymnasium as gym
    import numpy as np
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    torch.set_num_threads(1)
    start = time.perf_counter()
    envs = VecNormalize(DummyVecEnv([lambda: Monitor(gym.make(env_id))]), norm_obs=True, norm_reward=True,
                        clip_obs=10.0, clip_reward=10.0, gamma=0.99)
    envs.seed(seed)
    model = PPO("MlpPolicy", envs, n_steps=2048, batch_size=64, n_epochs=10,
                learning_rate=lambda remaining: 3e-4 * remaining, gamma=0.99, gae_lambda=0.95,
                clip_range=0.2, clip_range_vf=0.2, ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5,
                policy_kwargs={"net_arch": {"pi": [64, 64], "vf": [64, 64]}}, device="cpu", seed=seed, verbose=0)
    model.learn(total_timesteps=steps)
    wall = time.perf_counter() - start
    monitor = envs.venv.envs[0]
    train_returns = monitor.get_episode_rewards()[-20:]

    envs.training, envs.norm_reward = False, False  # frozen statistics, raw rewards
    returns = []
    for i in range(EVAL_EPISODES):
        env = gym.make(env_id)
        obs, _ = env.reset(seed=seed + 10_000 + i)
        total, done = 0.0, False
        while not done:
            action, _ = model.predict(envs.normalize_obs(obs[None]), deterministic=True)
            obs, reward, term, trunc, _ = env.step(np.clip(action[0], env.action_space.low, env.action_space.high))
            total += float(reward)
            done = term or trunc
        returns.append(total)
    return {"steps": int(model.num_timesteps), "wall_s": wall, "sps": model.num_timesteps / wall,
            "train_return": float(np.mean(train_returns)) if train_returns else None,
            "eval_return": float(np.mean(returns))}


def _command(side: str, env_id: str, steps: int, seed: int) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), "--worker", side, "--envs", env_id, "--steps", str(steps),
            "--seeds", str(seed)]


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"worker failed ({proc.returncode}):\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--envs", default="HalfCheetah-v5,Hopper-v5")
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--sequential", action="store_true", help="run the two sides one after the other")
    ap.add_argument("--worker", choices=("ours", "sb3"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    envs, seeds = args.envs.split(","), [int(s) for s in args.seeds.split(",")]
    if args.worker:
        run = run_ours if args.worker == "ours" else run_sb3
        print(json.dumps(run(envs[0], args.steps, seeds[0])), flush=True)
        return
    for env_id in envs:
        for seed in seeds:
            pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
            if args.sequential:
                ours = _result(subprocess.Popen(_command("ours", env_id, args.steps, seed), **pipes))
                sb3 = _result(subprocess.Popen(_command("sb3", env_id, args.steps, seed), **pipes))
            else:
                procs = [subprocess.Popen(_command(side, env_id, args.steps, seed), **pipes) for side in ("ours", "sb3")]
                ours, sb3 = (_result(p) for p in procs)
            print(json.dumps({
                "case": "mujoco_ppo_cleanrl_defaults", "env": env_id, "seed": seed, "steps": args.steps,
                "concurrent": not args.sequential,
                "ours_sps": round(ours["sps"], 1), "sb3_sps": round(sb3["sps"], 1),
                "ratio": round(ours["sps"] / sb3["sps"], 2),
                "ours_train_return": ours["train_return"], "sb3_train_return": sb3["train_return"],
                "ours_eval_return": ours["eval_return"], "sb3_eval_return": sb3["eval_return"],
                "ours_wall_s": round(ours["wall_s"], 1), "sb3_wall_s": round(sb3["wall_s"], 1),
            }), flush=True)


if __name__ == "__main__":
    main()
