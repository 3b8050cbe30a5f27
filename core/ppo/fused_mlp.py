"""The PPO minibatch step of the MLP actor-critic with its backward pass written out by hand.

Why: a cartpole-sized run takes thousands of minibatch steps on 64-wide layers, where each op's
arithmetic costs less than its dispatch. Autograd records ~80 nodes a step (every layer, every
term of the loss) and replays them one by one; here forward, loss and gradients are ~60 plain
tensor ops under ``no_grad``, and every gradient is written into a buffer reused from step to
step. It computes exactly what :func:`agentctl.ppo.loss.ppo_loss` and autograd compute (same
formulas, same tie rules of ``max``/``clamp``; ``tests/test_fused_mlp.py`` compares both to float
rounding), so it is a drop-in for the trainer, which picks it when :func:`supports` says so and
keeps the generic autograd path for everything else.

Gradients, for a minibatch of B transitions with normalised advantages A and ratio r:
- policy term ``mean(max(-A r, -A clip(r, 1-c, 1+c)))``: d/d logp = -A r / B where the unclipped
  branch is the max (ties included), else 0;
- categorical head: d logp / d z = onehot(a) - p; entropy bonus ``-ent_coef mean(H)``:
  d/dz = ent_coef / B * p (log p + H); illegal (masked) logits get 0;
- Gaussian head (clip, state-independent std): d logp / d mean = (a - mean) / std^2,
  d logp / d log_std = ((a - mean) / std)^2 - 1; entropy adds -ent_coef to d/d log_std;
- value term ``vf_coef * 0.5 mean(max((V-R)^2, (V_clipped-R)^2))``: d/dV from the larger branch
  (halved on ties, as torch's ``max`` does), the clipped branch only inside the clip range;
- layers: dW = g^T h_in, db = sum(g), and g_in = (g W) * act'(h_in) (tanh: 1 - h^2, relu: h > 0).
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import torch
from agentctl.nn.distributions import ActionDist, masked_logits
from agentctl.nn.gaussian import DiagGaussian
from agentctl.nn.mlp import MLPPolicy, tanh
from agentctl.ppo.loss import normalize

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def supports(policy: Any) -> bool:
    """The policies this step covers: the mlp policy with a single categorical head (masks
    allowed) or a clipped Gaussian head with a state-independent std."""
    if type(policy) is not MLPPolicy or policy._act not in (tanh, torch.relu):
        return False
    dist = policy.dist
    if isinstance(dist, ActionDist):
        return dist.is_discrete
    return isinstance(dist, DiagGaussian) and dist.squash == "clip" and policy.log_std is not None


class FusedMLPStep:
    """Call with a minibatch: fills every parameter's ``.grad`` (overwriting it) and returns the
    same terms as ``ppo_loss`` (:class:`FusedTerms`; ``loss`` detached: there is no graph)."""

    def __init__(self, policy: MLPPolicy) -> None:
        if not supports(policy):
            raise ValueError(f"FusedMLPStep does not cover {type(policy).__name__} with {policy.dist!r}")
        self.policy = policy
        self.gaussian = isinstance(policy.dist, DiagGaussian)
        self.relu = policy._act is torch.relu

    def _layers_forward(self, layers: list[torch.nn.Linear], x: torch.Tensor) -> list[torch.Tensor]:
        """Inputs of every layer, then the output: [x, h1, ..., out]."""
        hs = [x]
        for layer in layers[:-1]:
            hs.append(self.policy._act(torch.addmm(layer.bias, hs[-1], layer.weight.t())))
        last = layers[-1]
        hs.append(torch.addmm(last.bias, hs[-1], last.weight.t()))
        return hs

    def _layers_backward(self, layers: list[torch.nn.Linear], hs: list[torch.Tensor], g: torch.Tensor) -> None:
        for i in range(len(layers) - 1, -1, -1):
            layer, h = layers[i], hs[i]
            torch.mm(g.t(), h, out=_grad(layer.weight))
            torch.sum(g, 0, out=_grad(layer.bias))
            if i:
                g = torch.mm(g, layer.weight)
                g = g * (h > 0) if self.relu else torch.addcmul(g, g, h * h, value=-1.0)

    @torch.no_grad()
    def __call__(self, obs: torch.Tensor, actions: torch.Tensor, mask: torch.Tensor | None,
                 old_logp: torch.Tensor, old_values: torch.Tensor, advantages: torch.Tensor,
                 returns: torch.Tensor, *, clip_coef: float, vf_clip_coef: float | None, ent_coef: float,
                 vf_coef: float, norm_adv: bool = True) -> LossTerms:
        policy = self.policy
        x = obs.flatten(1)
        n = x.shape[0]
        ha = self._layers_forward(policy._actor_layers, x)
        hc = self._layers_forward(policy._critic_layers, x)
        out, values = ha[-1], hc[-1].squeeze(-1)
        adv = normalize(advantages) if norm_adv else advantages

        # -- policy head: log-prob of the taken actions, entropy, and their gradients' pieces
        if self.gaussian:
            log_std = policy.log_std
            z = (actions - out) * torch.exp(-log_std)
            logp = (-0.5 * z.square() - log_std - _HALF_LOG_2PI).sum(-1)
            entropy = (log_std + 0.5 + _HALF_LOG_2PI).sum().expand(n)
        else:
            logp_all = masked_logits(out, mask).log_softmax(-1)
            probs = logp_all.exp()
            logp = logp_all.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)
            entropy = -(probs * logp_all).sum(-1)

        logratio = logp - old_logp
        ratio = logratio.exp()
        pg1 = -adv * ratio
        pg2 = -adv * ratio.clamp(1.0 - clip_coef, 1.0 + clip_coef)
        g_logp = torch.where(pg1 >= pg2, pg1, 0.0) / n  # d pg_loss / d logp

        # -- value head
        err = values - returns
        if vf_clip_coef is None:
            sq = sq_c = None
            g_v = err * (vf_coef / n)
        else:
            delta = values - old_values
            err_c = old_values + delta.clamp(-vf_clip_coef, vf_clip_coef) - returns
            sq, sq_c = err.square(), err_c.square()
            inside = (delta >= -vf_clip_coef) & (delta <= vf_clip_coef)
            g_c = err_c * inside
            g_v = torch.where(sq > sq_c, err, torch.where(sq < sq_c, g_c, 0.5 * (err + g_c))) * (vf_coef / n)

        # -- gradients of the heads' outputs, then through both networks
        if self.gaussian:
            g_out = g_logp.unsqueeze(-1) * z * torch.exp(-log_std)
            g_log_std = (g_logp.unsqueeze(-1) * (z.square() - 1.0)).sum(0) - ent_coef
            _grad(log_std).copy_(g_log_std)
        else:
            onehot = torch.zeros_like(probs).scatter_(-1, actions.long().unsqueeze(-1), 1.0)
            g_out = g_logp.unsqueeze(-1) * (onehot - probs)
            if ent_coef:
                g_out = g_out + (ent_coef / n) * probs * (logp_all + entropy.unsqueeze(-1))
            if mask is not None:
                g_out = g_out.masked_fill(~mask.bool(), 0.0)
        self._layers_backward(policy._actor_layers, ha, g_out)
        self._layers_backward(policy._critic_layers, hc, g_v.unsqueeze(-1))

        return FusedTerms(pg1, pg2, err, sq, sq_c, entropy, ratio, logratio, clip_coef, ent_coef, vf_coef)


class FusedTerms:
    """:class:`LossTerms` of a fused step. ``approx_kl`` (read every step) is computed at once;
    the rest only when read (the trainer logs the last minibatch's), which saves a dozen ops a
    step. The trainer checks the gradient norm for NaN/inf instead of the loss."""

    def __init__(self, pg1: torch.Tensor, pg2: torch.Tensor, err: torch.Tensor, sq: torch.Tensor | None,
                 sq_c: torch.Tensor | None, entropy: torch.Tensor, ratio: torch.Tensor, logratio: torch.Tensor,
                 clip_coef: float, ent_coef: float, vf_coef: float) -> None:
        self._pg = (pg1, pg2)
        self._value = (err, sq, sq_c)
        self._entropy, self._ratio, self._coefs = entropy, ratio, (clip_coef, ent_coef, vf_coef)
        self.approx_kl = (ratio - 1.0 - logratio).mean()

    @cached_property
    def pg_loss(self) -> torch.Tensor:
        return torch.maximum(*self._pg).mean()

    @cached_property
    def v_loss(self) -> torch.Tensor:
        err, sq, sq_c = self._value
        return 0.5 * (err.square().mean() if sq is None else torch.maximum(sq, sq_c).mean())

    @cached_property
    def entropy(self) -> torch.Tensor:
        return self._entropy.mean()

    @cached_property
    def loss(self) -> torch.Tensor:
        _, ent_coef, vf_coef = self._coefs
        return self.pg_loss - ent_coef * self.entropy + vf_coef * self.v_loss

    @cached_property
    def clipfrac(self) -> torch.Tensor:
        return ((self._ratio - 1.0).abs() > self._coefs[0]).to(self._ratio.dtype).mean()


def _grad(param: torch.Tensor) -> torch.Tensor:
    """``param.grad``, allocated once: the step writes every gradient into it (``out=``), so
    no buffer is allocated afresh per step, and the optimizer and clip see the same tensors."""
    if param.grad is None:
        param.grad = torch.zeros_like(param)
    return param.grad
