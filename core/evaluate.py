"""Evaluate a checkpoint: N episodes spread over a vector env, mean return +- std."""

from __future__ import annotations

from typing import Any

import numpy as np

from agentctl import checkpoint as ckpt
from agentctl.config import resolve
from agentctl.errors import UserError
from agentctl.registry import Registry


def evaluate(path: str, registry: Registry, episodes: int = 10, deterministic: bool = True,
             seed: int | None = None, device: str = "cpu") -> dict[str, Any]:
    """Play exactly ``episodes`` episodes (each env plays its share, so short episodes don't
    crowd out long ones) and summarize their returns."""
    import torch

    from agentctl.ppo.rollout import split_obs
    from agentctl.run import build_policy, make_envs, resolve_device

    if episodes < 1:
        raise UserError("--episodes must be >= 1")
    state = ckpt.load(path)
    spec = registry.resolve("env", state["env"])
    cfg = resolve(state["config"])
    num_envs = min(episodes, 8)
    seed = cfg.seed + 10_000 if seed is None else seed  # unseen by training
    envs = make_envs(spec, cfg, num_envs=num_envs, seed=seed)
    policy = build_policy(registry, spec, cfg, envs)
    policy.load_state_dict(state["trainer"]["model"])
    dev = resolve_device(device)
    policy.to(dev).eval()
    generator = torch.Generator(device=dev)
    generator.manual_seed(seed)

    quota = np.full(num_envs, episodes // num_envs)
    quota[: episodes % num_envs] += 1
    returns: list[float] = []
    ep_ret = np.zeros(num_envs)
    prev_done = np.zeros(num_envs, dtype=bool)
    obs, _ = envs.reset(seed=seed)
    with torch.inference_mode():
        while (quota > 0).any():
            arr, mask = split_obs(obs)
            x = torch.as_tensor(np.asarray(arr), dtype=torch.float32, device=dev)
            m = None if mask is None else torch.as_tensor(np.asarray(mask), device=dev).bool()
            logits, _ = policy(x)
            act = policy.dist.mode(logits, m) if deterministic else policy.dist.sample(logits, m, generator)
            obs, reward, term, trunc, _ = envs.step(act.cpu().numpy())
            ep_ret += np.where(prev_done, 0.0, reward)
            done = np.logical_or(term, trunc) & ~prev_done
            for i in np.flatnonzero(done):
                if quota[i] > 0:
                    returns.append(float(ep_ret[i]))
                    quota[i] -= 1
                ep_ret[i] = 0.0
            prev_done = np.logical_or(term, trunc)
    envs.close()
    return {
        "env": spec.name, "checkpoint": state["path"], "episodes": len(returns),
        "mean_return": float(np.mean(returns)), "std_return": float(np.std(returns)),
        "min_return": float(np.min(returns)), "max_return": float(np.max(returns)),
        "deterministic": deterministic,
    }
