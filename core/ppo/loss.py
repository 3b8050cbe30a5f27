"""PPO clipped-surrogate loss (the formulas, and the tests that check them: docs/ppo.md).

Called once per minibatch (thousands of times per run): the ratio is computed once, and
nothing here calls ``.item()`` or otherwise syncs; callers decide when to read the stats.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["LossTerms", "approx_kl", "clip_fraction", "clipped_policy_loss", "normalize", "ppo_loss", "value_loss"]


@dataclass
class LossTerms:
    """``loss`` is the scalar to backprop; every other field is a detached scalar for logging."""

    loss: torch.Tensor
    pg_loss: torch.Tensor
    v_loss: torch.Tensor
    entropy: torch.Tensor
    approx_kl: torch.Tensor
    clipfrac: torch.Tensor


def normalize(adv: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Per-minibatch advantage normalization: (adv - mean) / (std + eps), unbiased std.

    A single-element minibatch has no spread; it is only centred (to 0) instead of giving NaN.
    """
    if adv.numel() < 2:
        return adv - adv.mean()
    return (adv - adv.mean()) / (adv.std() + eps)


def clipped_policy_loss(
    new_logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor, clip_coef: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """L = -mean(min(r A, clip(r, 1-eps, 1+eps) A)) with r = exp(new_logp - old_logp).

    Returns (pg_loss, logratio); logratio carries grad, for approx_kl / clipfrac reuse.
    """
    logratio = new_logp - old_logp
    ratio = logratio.exp()
    pg1 = -advantages * ratio
    pg2 = -advantages * ratio.clamp(1.0 - clip_coef, 1.0 + clip_coef)
    return torch.max(pg1, pg2).mean(), logratio


def value_loss(
    new_values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    clip_coef: float | None,
) -> torch.Tensor:
    """0.5 mean(max((V-R)^2, (V_old + clip(V-V_old, -c, c) - R)^2)); 0.5 mean((V-R)^2) if c None."""
    unclipped = (new_values - returns).square()
    if clip_coef is None:
        return 0.5 * unclipped.mean()
    clipped = old_values + (new_values - old_values).clamp(-clip_coef, clip_coef)
    return 0.5 * torch.max(unclipped, (clipped - returns).square()).mean()


def approx_kl(logratio: torch.Tensor, detach: bool = True) -> torch.Tensor:
    """k3 estimator of KL(old || new): mean((r - 1) - log r) with ``logratio = log new - log old``
    (>= 0, low variance); detached unless asked (GRPO's KL loss term backpropagates it)."""
    lr = logratio.detach() if detach else logratio
    return (lr.exp() - 1.0 - lr).mean()


def clip_fraction(logratio: torch.Tensor, clip_coef: float) -> torch.Tensor:
    """Share of transitions whose ratio lies outside [1 - eps, 1 + eps] (detached)."""
    return ((logratio.detach().exp() - 1.0).abs() > clip_coef).to(logratio.dtype).mean()


def ppo_loss(
    new_logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    new_values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    entropy: torch.Tensor,
    *,
    clip_coef: float,
    vf_clip_coef: float | None,
    ent_coef: float,
    vf_coef: float,
    norm_adv: bool = True,
) -> LossTerms:
    """loss = pg_loss - ent_coef * mean(entropy) + vf_coef * v_loss, plus logging stats."""
    if norm_adv:
        advantages = normalize(advantages)
    pg_loss, logratio = clipped_policy_loss(new_logp, old_logp, advantages, clip_coef)
    v_loss = value_loss(new_values, old_values, returns, vf_clip_coef)
    ent = entropy.mean()
    loss = pg_loss - ent_coef * ent + vf_coef * v_loss
    return LossTerms(
        loss=loss,
        pg_loss=pg_loss.detach(),
        v_loss=v_loss.detach(),
        entropy=ent.detach(),
        approx_kl=approx_kl(logratio),
        clipfrac=clip_fraction(logratio, clip_coef),
    )
