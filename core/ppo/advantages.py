"""Generalized Advantage Estimation (the formulas, and the tests that check them: docs/ppo.md)."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["gae", "grpo", "rloo"]


@torch.no_grad()
def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    next_values: torch.Tensor,
    terminated: torch.Tensor,
    dones: torch.Tensor,
    gamma: float,
    gae_lambda: float,
    signs: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """GAE over a ``[T, N]`` rollout -> (advantages, returns), both ``[T, N]``.

    ``next_values[t]`` is V of the observation step t led to (on truncation: the final
    observation of the ended episode), so truncation bootstraps and termination does not:

        delta_t = r_t + gamma (1 - terminated_t) s_t next_values_t - values_t
        A_t     = delta_t + gamma lambda (1 - dones_t) s_t A_{t+1}
        R_t     = A_t + values_t

    ``signs`` (s_t, default all +1) is -1 where the next observation belongs to the other side
    of a zero-sum game (the learner playing both seats of one game): values and rewards are
    each from their own mover's view, and the opponent's value is the negative of ours, so
    every later term enters with the product of the signs between (negamax).

    The elementwise parts run vectorized in torch; only the length-T recursion is a loop, done
    on CPU numpy (about 1 us per step versus ~10 us of torch dispatch per step).
    """
    dtype = values.dtype if values.dtype in (torch.float32, torch.float64) else torch.float32
    values = values.to(dtype)
    not_term = 1.0 - terminated.to(dtype)
    if signs is not None:
        not_term = not_term * signs.to(dtype)
    delta = rewards.to(dtype) + gamma * not_term * next_values.to(dtype) - values
    coef = (gamma * gae_lambda) * (1.0 - dones.to(dtype))
    if signs is not None:
        coef = coef * signs.to(dtype)

    d = delta.cpu().numpy()
    c = coef.cpu().numpy()
    adv = np.empty_like(d)
    last = np.zeros_like(d[0])
    for t in range(d.shape[0] - 1, -1, -1):
        last = d[t] + c[t] * last
        adv[t] = last
    advantages = torch.from_numpy(adv).to(values.device)
    return advantages, advantages + values


def _groups(returns: torch.Tensor, group_size: int) -> torch.Tensor:
    """``[N]`` -> ``[N / G, G]``: consecutive completions of one prompt form a group."""
    if returns.dim() != 1 or returns.numel() % group_size:
        raise ValueError(f"{returns.numel()} returns do not split into groups of {group_size}")
    return returns.reshape(-1, group_size)


@torch.no_grad()
def grpo(returns: torch.Tensor, group_size: int, eps: float = 1e-4) -> torch.Tensor:
    """Group-relative advantages (GRPO): each completion's return standardised within its
    prompt's group, ``(R_i - mean_g) / (std_g + eps)`` (unbiased std, as DeepSeekMath and TRL).
    A group whose completions all scored alike gets advantage 0: nothing to learn from it."""
    g = _groups(returns, group_size)
    return ((g - g.mean(1, keepdim=True)) / (g.std(1, keepdim=True) + eps)).reshape(-1)


@torch.no_grad()
def rloo(returns: torch.Tensor, group_size: int) -> torch.Tensor:
    """REINFORCE leave-one-out advantages: ``R_i - mean_{j != i} R_j`` within the group, an
    unbiased baseline without a critic (Ahmadian et al. 2024)."""
    g = _groups(returns, group_size)
    others = (g.sum(1, keepdim=True) - g) / (group_size - 1)
    return (g - others).reshape(-1)
