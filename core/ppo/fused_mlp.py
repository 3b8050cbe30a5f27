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
from agentctl.ppo.flat_params import FlatParams
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


def flat_order(policy: MLPPolicy) -> list[torch.nn.Parameter]:
    """The policy's parameters in the order that puts each hidden layer's actor and critic
    weights (and biases) side by side, so one flat tensor (:class:`FlatParams`) holds them as a
    stacked ``[2, out, in]`` pair: both networks' hidden layers then run as one batched op."""
    actor, critic = policy._actor_layers, policy._critic_layers
    order: list[torch.nn.Parameter] = []
    for a, c in zip(actor[:-1], critic[:-1]):
        order += [a.weight, c.weight, a.bias, c.bias]
    order += [actor[-1].weight, actor[-1].bias, critic[-1].weight, critic[-1].bias]
    if policy.log_std is not None:
        order.append(policy.log_std)
    return order


class SeparateTrunks:
    """The actor's and the critic's layers, one op at a time each."""

    def __init__(self, policy: MLPPolicy) -> None:
        self.policy, self.relu = policy, policy._act is torch.relu

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, Any]:
        ha = self._forward(self.policy._actor_layers, x)
        hc = self._forward(self.policy._critic_layers, x)
        return ha[-1], hc[-1].squeeze(-1), (ha, hc)

    def backward(self, cache: Any, g_out: torch.Tensor, g_value: torch.Tensor) -> None:
        ha, hc = cache
        self._backward(self.policy._actor_layers, ha, g_out)
        self._backward(self.policy._critic_layers, hc, g_value.unsqueeze(-1))

    def _forward(self, layers: list[torch.nn.Linear], x: torch.Tensor) -> list[torch.Tensor]:
        """Inputs of every layer, then the output: [x, h1, ..., out]."""
        hs = [x]
        for layer in layers[:-1]:
            hs.append(self.policy._act(torch.addmm(layer.bias, hs[-1], layer.weight.t())))
        last = layers[-1]
        hs.append(torch.addmm(last.bias, hs[-1], last.weight.t()))
        return hs

    def _backward(self, layers: list[torch.nn.Linear], hs: list[torch.Tensor], g: torch.Tensor) -> None:
        for i in range(len(layers) - 1, -1, -1):
            layer, h = layers[i], hs[i]
            torch.mm(g.t(), h, out=_grad(layer.weight))
            torch.sum(g, 0, out=_grad(layer.bias))
            if i:
                g = _act_backward(torch.mm(g, layer.weight), h, self.relu)


class StackedTrunks:
    """Both networks' hidden layers as one batched op each: the first as one ``[2H, in]`` matmul
    on the shared input, the others as a ``[2, B, H]`` batched matmul, through stacked views of
    the flat parameters and gradients (:func:`flat_order`). Half the ops of :class:`SeparateTrunks`,
    the same numbers."""

    def __init__(self, policy: MLPPolicy, flat: FlatParams) -> None:
        self.policy, self.relu = policy, policy._act is torch.relu
        actor, critic = policy._actor_layers, policy._critic_layers
        self.hidden = []  # per hidden layer: (weights [2, out, in], biases [2, out], and their grads)
        for a, c in zip(actor[:-1], critic[:-1]):
            w, w_grad = flat.joint([a.weight, c.weight])
            b, b_grad = flat.joint([a.bias, c.bias])
            shape = (2, *a.weight.shape)
            self.hidden.append((w.view(shape), b.view(2, -1), w_grad.view(shape), b_grad.view(2, -1)))
        self.heads = (actor[-1], critic[-1])

    @staticmethod
    def possible(policy: MLPPolicy, flat: FlatParams | None) -> bool:
        actor, critic = policy._actor_layers, policy._critic_layers
        return (flat is not None and len(actor) > 1
                and all(flat.joint([a.weight, c.weight]) is not None and flat.joint([a.bias, c.bias]) is not None
                        for a, c in zip(actor[:-1], critic[:-1])))

    def _act(self, z: torch.Tensor) -> torch.Tensor:
        return torch.relu_(z) if self.relu else torch.sigmoid_(z).mul_(2.0).sub_(1.0)  # z is 2x for tanh

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, Any]:
        scale = 1.0 if self.relu else 2.0  # tanh(z) = 2 sigmoid(2z) - 1: the 2z inside the matmul
        w, b, _, _ = self.hidden[0]
        h = self._act(torch.addmm(b.reshape(-1), x, w.reshape(-1, w.shape[-1]).t(), beta=scale, alpha=scale))
        n, width = x.shape[0], w.shape[1]
        hs = [h.view(n, 2, width).transpose(0, 1)]  # [2, B, H]: actor's rows, then critic's
        for w, b, _, _ in self.hidden[1:]:
            hs.append(self._act(torch.baddbmm(b.unsqueeze(1), hs[-1], w.transpose(1, 2), beta=scale, alpha=scale)))
        actor_head, critic_head = self.heads
        out = torch.addmm(actor_head.bias, hs[-1][0], actor_head.weight.t())
        value = torch.addmm(critic_head.bias, hs[-1][1], critic_head.weight.t()).squeeze(-1)
        return out, value, (x, hs)

    def backward(self, cache: Any, g_out: torch.Tensor, g_value: torch.Tensor) -> None:
        x, hs = cache
        actor_head, critic_head = self.heads
        g_value = g_value.unsqueeze(-1)
        last = hs[-1]
        torch.mm(g_out.t(), last[0], out=_grad(actor_head.weight))
        torch.sum(g_out, 0, out=_grad(actor_head.bias))
        torch.mm(g_value.t(), last[1], out=_grad(critic_head.weight))
        torch.sum(g_value, 0, out=_grad(critic_head.bias))
        g = torch.stack([torch.mm(g_out, actor_head.weight), torch.mm(g_value, critic_head.weight)])
        for i in range(len(self.hidden) - 1, -1, -1):
            w, _, w_grad, b_grad = self.hidden[i]
            g = _act_backward(g, hs[i], self.relu)  # d loss / d pre-activation of layer i, [2, B, H]
            inputs = hs[i - 1] if i else x.expand(2, *x.shape)
            torch.bmm(g.transpose(1, 2), inputs, out=w_grad)
            torch.sum(g, 1, out=b_grad)
            if i:
                g = torch.bmm(g, w)


def _act_backward(g: torch.Tensor, h: torch.Tensor, relu: bool) -> torch.Tensor:
    """Through the activation whose output is ``h``: relu' = (h > 0), tanh' = 1 - h^2."""
    return g * (h > 0) if relu else torch.addcmul(g, g, h * h, value=-1.0)


class FusedMLPStep:
    """Call with a minibatch: fills every parameter's ``.grad`` (overwriting it) and returns the
    same terms as ``ppo_loss`` (:class:`FusedTerms`; ``loss`` detached: there is no graph).
    With the policy's parameters in a :class:`FlatParams` laid out by :func:`flat_order`, the two
    networks run stacked."""

    def __init__(self, policy: MLPPolicy, flat: FlatParams | None = None) -> None:
        if not supports(policy):
            raise ValueError(f"FusedMLPStep does not cover {type(policy).__name__} with {policy.dist!r}")
        self.policy = policy
        self.gaussian = isinstance(policy.dist, DiagGaussian)
        self.trunks = StackedTrunks(policy, flat) if StackedTrunks.possible(policy, flat) else SeparateTrunks(policy)

    @torch.no_grad()
    def __call__(self, obs: torch.Tensor, actions: torch.Tensor, mask: torch.Tensor | None,
                 old_logp: torch.Tensor, old_values: torch.Tensor, advantages: torch.Tensor,
                 returns: torch.Tensor, *, clip_coef: float, vf_clip_coef: float | None, ent_coef: float,
                 vf_coef: float, norm_adv: bool = True) -> FusedTerms:
        policy = self.policy
        x = obs.flatten(1)
        n = x.shape[0]
        out, values, cache = self.trunks.forward(x)
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
            entropy = None  # computed below only if the loss or the log reads it

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
            # g_logp * (onehot(a) - p): -g_logp * p, then + g_logp at each taken action
            g_out = probs * -g_logp.unsqueeze(-1)
            g_out.scatter_add_(-1, actions.long().unsqueeze(-1), g_logp.unsqueeze(-1))
            if ent_coef:
                entropy = -(probs * logp_all).sum(-1)
                g_out = g_out + (ent_coef / n) * probs * (logp_all + entropy.unsqueeze(-1))
            else:
                entropy = (probs, logp_all)  # FusedTerms sums it if read
            if mask is not None:
                g_out = g_out.masked_fill(~mask.bool(), 0.0)
        self.trunks.backward(cache, g_out, g_v)

        return FusedTerms(pg1, pg2, err, sq, sq_c, entropy, ratio, logratio, clip_coef, ent_coef, vf_coef)


class FusedTerms:
    """:class:`LossTerms` of a fused step. ``approx_kl`` (read every step) is computed at once;
    the rest only when read (the trainer logs the last minibatch's), which saves a dozen ops a
    step. The trainer checks the gradient norm for NaN/inf instead of the loss."""

    def __init__(self, pg1: torch.Tensor, pg2: torch.Tensor, err: torch.Tensor, sq: torch.Tensor | None,
                 sq_c: torch.Tensor | None, entropy: Any, ratio: torch.Tensor, logratio: torch.Tensor,
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
        if isinstance(self._entropy, tuple):  # (probs, log-probs) of a categorical head
            probs, logp = self._entropy
            return -(probs * logp).sum(-1).mean()
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
