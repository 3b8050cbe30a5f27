"""The PPO update and the training loop state (everything a checkpoint must restore).

The trainer knows nothing about run directories, progress bars or signals (see
``agentctl.run``); it owns the policy, optimizer, RNGs, counters and the collector.
"""

from __future__ import annotations

import pickle
import time
import warnings
from typing import Any

import numpy as np
import torch
from agentctl import normalize
from agentctl.config import PPOConfig
from agentctl.errors import EnvFailed, TrainingDiverged, UserError
from agentctl.nn.policy import ActorCritic
from agentctl.ppo import fused_mlp
from agentctl.ppo.advantages import gae
from agentctl.ppo.flat_adam import FlatAdam
from agentctl.ppo.flat_params import FlatParams
from agentctl.ppo.fused_mlp import FusedMLPStep
from agentctl.ppo.loss import ppo_loss
from agentctl.ppo.rollout import Collector, Rollout
from agentctl.seeding import Stream, int_seed, rng


def make_optimizer(params: Any, cfg: PPOConfig, device: torch.device) -> torch.optim.Adam:
    """Adam over ``params`` (a module's, or a list); the fused kernel where available (it saves
    the per-parameter Python loop)."""
    if isinstance(params, torch.nn.Module):
        params = params.parameters()
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=cfg.learning_rate, eps=cfg.adam_eps, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=cfg.learning_rate, eps=cfg.adam_eps, foreach=True)


def schedule(cfg: PPOConfig, global_step: int, optimizer: torch.optim.Optimizer) -> tuple[float, float]:
    """(learning rate, clip coef) at ``global_step``, the rate set on ``optimizer``: both decay
    linearly to 0 at total_timesteps when annealed (counted in trained steps, like the budget)."""
    frac = max(0.0, 1.0 - global_step / cfg.total_timesteps)
    lr = cfg.learning_rate * frac if cfg.anneal_lr else cfg.learning_rate
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr, (cfg.clip_coef * frac if cfg.anneal_clip else cfg.clip_coef)


def clip_flat_grad(grad: torch.Tensor, max_norm: float) -> torch.Tensor:
    """``clip_grad_norm_`` for one flat gradient (the same norm, 1e-6 and clamp) in three ops
    instead of its per-call grouping; returns the norm before clipping."""
    norm = torch.linalg.vector_norm(grad)
    grad.mul_((max_norm / (norm + 1e-6)).clamp_(max=1.0))
    return norm


def minibatches(perm: torch.Tensor, minibatch_size: int) -> tuple[torch.Tensor, ...]:
    """``perm`` cut into ceil(n / minibatch_size) chunks of near-equal size (they differ by at most
    one). Cutting off fixed-size chunks instead can leave a ragged last minibatch of a single
    transition, whose normalised advantage is 0: a value-only Adam step at full learning rate."""
    return torch.tensor_split(perm, -(-perm.numel() // minibatch_size))


def _flatten_valid(r: Rollout, advantages: torch.Tensor, returns: torch.Tensor) -> dict[str, torch.Tensor]:
    """[T, N] -> [B] keeping only valid transitions (reset steps are dropped); auxiliary
    targets as ``aux/NAME`` with ``aux_valid``."""
    idx = r.valid.reshape(-1).nonzero().squeeze(-1)
    flat = {
        "obs": r.obs.reshape(-1, *r.obs.shape[2:]),
        "actions": r.actions.reshape(-1, *r.actions.shape[2:]),
        "logprobs": r.logprobs.reshape(-1),
        "values": r.values.reshape(-1),
        "advantages": advantages.reshape(-1),
        "returns": returns.reshape(-1),
    }
    if r.masks is not None:
        flat["masks"] = r.masks.reshape(-1, *r.masks.shape[2:])
    if r.aux is not None and r.aux_valid is not None:
        flat["aux_valid"] = r.aux_valid.reshape(-1)
        for name, target in r.aux.items():
            flat[f"aux/{name}"] = target.reshape(-1, *target.shape[2:])
    if len(idx) == r.valid.numel():
        return flat
    return {k: v[idx] for k, v in flat.items()}


class Trainer:
    """PPO on a single-agent vector env; ``step()`` runs one rollout + one update."""

    def __init__(self, cfg: PPOConfig, envs: Any, policy: ActorCritic, device: torch.device) -> None:
        self.cfg = cfg
        self.device = device
        self.policy = policy.to(device)
        self.params = [p for p in self.policy.parameters() if p.requires_grad]
        self._one_thread_for_small_nets()
        self._module_order = list(self.params)  # how optimizer states were saved before flattening
        fused = cfg.fused_update and fused_mlp.supports(self.policy)
        if fused and {id(p) for p in fused_mlp.flat_order(self.policy)} == {id(p) for p in self.params}:
            self.params = fused_mlp.flat_order(self.policy)  # actor/critic layers side by side
        # One flat tensor for the optimizer and the clip (see flat_params: per-tensor costs).
        self.flat = FlatParams(self.params) if FlatParams.possible(self.params) else None
        self.optimizer: Any = (FlatAdam(self.flat.param, cfg.learning_rate, cfg.adam_eps) if self.flat
                               else make_optimizer(self.params, cfg, device))
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(int_seed(cfg.seed, Stream.ACTIONS))
        self.np_rng = rng(cfg.seed, Stream.MINIBATCHES)
        self.collector = Collector(envs, cfg.num_steps, device, int_seed(cfg.seed, Stream.ENVS),
                                   **normalize.from_config(cfg, envs.num_envs))
        self.envs = envs
        self.global_step = 0
        self.update = 0
        self.episodes: list[tuple[float, int]] = []  # (return, length) of every finished episode
        self.aux_coef = {k: float(v) for k, v in cfg.aux_coef.items() if v > 0}
        if self.aux_coef:
            have = tuple(getattr(policy, "aux_names", ()))
            unknown = sorted(set(self.aux_coef) - set(have))
            if unknown:
                raise UserError(f"config aux_coef names {unknown}, but policy {type(policy).__name__} has "
                                f"auxiliary heads {list(have) or 'none'}")
        self.init_policy: ActorCritic | None = None  # set by ``anchor_to_init`` (config init_kl_coef)
        self.fused = FusedMLPStep(self.policy, self.flat) if fused else None

    SMALL_NET = 100_000  # parameters: below this, a second intra-op thread costs more than it saves

    def _one_thread_for_small_nets(self) -> None:
        """On the CPU, a net this small gains nothing from intra-op threads: every op is far below
        torch's parallel grain, and each parallel region still pays to wake the other threads.
        Measured on a quiet 2-core VM: CartPole's 64x64 MLP trained at 9,400 env-steps/s with 1
        thread and 3,500 with 2, so more threads are refused here, with one warning."""
        if self.device.type != "cpu" or torch.get_num_threads() <= 1:
            return
        size = sum(p.numel() for p in self.params)
        if size < self.SMALL_NET:
            warnings.warn(f"torch_threads={torch.get_num_threads()}: this policy has {size:,} parameters, too few "
                          "for intra-op threads to pay (each op waits to wake the others); training uses 1 thread",
                          stacklevel=3)
            torch.set_num_threads(1)

    def anchor_to_init(self) -> None:
        """Freeze a copy of the policy as it is now (just loaded from ``init``): the KL penalty
        of ``init_kl_coef`` keeps the learner near it early on."""
        import copy

        if not hasattr(self.policy.dist, "kl"):
            raise UserError(f"init_kl_coef needs an action distribution with kl(); "
                            f"{type(self.policy.dist).__name__} has none")
        self.init_policy = copy.deepcopy(self.policy).eval().requires_grad_(False)

    def init_kl_weight(self) -> float:
        cfg = self.cfg
        if self.init_policy is None or cfg.init_kl_coef <= 0:
            return 0.0
        if cfg.init_kl_steps <= 0:
            return cfg.init_kl_coef
        return cfg.init_kl_coef * max(0.0, 1.0 - self.global_step / cfg.init_kl_steps)

    def step(self) -> dict[str, float]:
        """One rollout and one PPO update; returns metrics for logging."""
        cfg = self.cfg
        lr, clip = schedule(cfg, self.global_step, self.optimizer)

        t0 = time.perf_counter()
        self.policy.eval()
        rollout, finished = self.collector.collect(self.policy, self.generator)
        self.episodes.extend(finished)
        self.global_step += rollout.env_steps
        if rollout.env_steps == 0:
            raise UserError("a whole rollout held no trainable step (every step was an episode reset); "
                            "the env ends episodes before the agent can act")
        self._check_finite(rollout)
        t1 = time.perf_counter()
        with torch.no_grad():
            advantages, returns = gae(rollout.rewards, rollout.values, rollout.next_values,
                                      rollout.terminated, rollout.dones, cfg.gamma, cfg.gae_lambda,
                                      signs=rollout.signs)
        batch = _flatten_valid(rollout, advantages, returns)
        init_kl = self.init_kl_weight()
        if init_kl > 0:
            with torch.no_grad():  # the anchor's logits, once per update
                batch["init_logits"] = torch.cat([self.init_policy(o)[0] for o in batch["obs"].split(4096)])
        self.policy.train()
        metrics = self._optimize(batch, clip, init_kl)
        self.update += 1
        t2 = time.perf_counter()
        recent = [ret for ret, _ in finished]
        metrics.update(
            update=self.update, global_step=self.global_step, learning_rate=lr, clip_coef=clip,
            episodes=len(finished),
            mean_return=float(np.mean(recent)) if recent else None,
            mean_length=float(np.mean([n for _, n in finished])) if finished else None,
            rollout_s=t1 - t0, update_s=t2 - t1,
        )
        return metrics

    @staticmethod
    def _check_finite(r: Rollout) -> None:
        """NaN/inf observations would surface later as a diverged loss that blames the learning
        rate; name the real culprit instead. (NaN rewards reach the loss through the returns
        and stop the run as a divergence at that update.)"""
        if not bool(torch.isfinite(r.obs).all()):
            raise EnvFailed("produced NaN/inf observations; this is a bug in the env (or its env_kwargs), "
                            "not a training problem")

    def _clip_and_step(self) -> torch.Tensor | None:
        """Clip the gradients' global norm (``max_grad_norm``), take the Adam step; returns the
        norm before clipping (None when not clipping)."""
        norm = None
        if self.cfg.max_grad_norm > 0:
            if self.flat:
                norm = clip_flat_grad(self.flat.param.grad, self.cfg.max_grad_norm)
            else:
                norm = torch.nn.utils.clip_grad_norm_(self.params, self.cfg.max_grad_norm, foreach=True)
        self.optimizer.step()
        return norm

    def _autograd_loss(self, b: dict[str, torch.Tensor], idx: torch.Tensor, mask: torch.Tensor | None,
                       cols: tuple[torch.Tensor, ...], loss_kw: dict[str, Any], aux: dict[str, torch.Tensor],
                       aux_valid: torch.Tensor | None, init_kl: float,
                       extra: dict[str, torch.Tensor]) -> tuple[Any, torch.Tensor]:
        """(ppo_loss terms, the loss to backprop) of one minibatch: the PPO loss plus the added
        auxiliary and init-KL terms (their detached values summed into ``extra`` for logging)."""
        policy, dist = self.policy, self.policy.dist
        old_logp, old_values, adv, ret = cols
        obs = b["obs"][idx]
        if aux:
            logits, new_values, predicted = policy.forward_aux(obs)
        else:
            logits, new_values = policy(obs)
        new_logp, entropy = dist.evaluate(logits, b["actions"][idx], mask)
        terms = ppo_loss(new_logp, old_logp, adv, new_values, old_values, ret, entropy, **loss_kw)
        loss = terms.loss
        if aux:  # added terms: the PPO loss above is untouched
            w = aux_valid[idx].to(new_values.dtype)
            for name, target in aux.items():
                term = (policy.aux_loss(name, predicted[name], target[idx]) * w).sum() / w.sum().clamp(min=1)
                loss = loss + self.aux_coef[name] * term
                extra[f"aux_{name}_loss"] = extra.get(f"aux_{name}_loss", 0.0) + term.detach()
        if init_kl > 0:
            term = dist.kl(b["init_logits"][idx], logits, mask).mean()
            loss = loss + init_kl * term
            extra["init_kl"] = extra.get("init_kl", 0.0) + term.detach()
        return terms, loss

    def _optimize(self, b: dict[str, torch.Tensor], clip: float, init_kl: float = 0.0) -> dict[str, float]:
        cfg, opt = self.cfg, self.optimizer
        n = b["obs"].shape[0]
        aux = {name: b[f"aux/{name}"] for name in self.aux_coef if f"aux/{name}" in b}
        aux_valid = b.get("aux_valid")
        extra: dict[str, torch.Tensor] = {}  # summed detached extra-loss terms, for logging
        obs, actions, masks = b["obs"], b["actions"], b.get("masks")
        # One gather per minibatch for the four per-transition scalars instead of four.
        cols = torch.stack([b["logprobs"], b["values"], b["advantages"], b["returns"]], dim=1)
        vf_clip = cfg.vf_clip_coef if cfg.clip_vloss else None
        finite = torch.ones((), dtype=torch.bool, device=self.device)
        kl_sum = torch.zeros((), device=self.device)
        kl_count = 0
        terms = None
        kl_per_minibatch = cfg.target_kl > 0 and cfg.target_kl_check == "minibatch"
        loss_kw = {"clip_coef": clip, "vf_clip_coef": vf_clip, "ent_coef": cfg.ent_coef, "vf_coef": cfg.vf_coef,
                   "norm_adv": cfg.norm_adv}
        fused = self.fused if not aux and init_kl == 0 else None
        stopped, steps = False, 0
        for _epoch in range(cfg.update_epochs):
            perm = torch.from_numpy(self.np_rng.permutation(n)).to(self.device)
            epoch_kl = torch.zeros((), device=self.device)
            num_mb = 0
            for idx in minibatches(perm, cfg.minibatch_size):
                old_logp, old_values, adv, ret = cols[idx].unbind(1)
                mb_mask = None if masks is None else masks[idx]
                if fused is not None:  # loss and gradients by hand (same numbers, a third of the ops)
                    terms = fused(obs[idx], actions[idx], mb_mask, old_logp, old_values, adv, ret, **loss_kw)
                    loss = None
                else:
                    terms, loss = self._autograd_loss(b, idx, mb_mask, (old_logp, old_values, adv, ret), loss_kw,
                                                      aux, aux_valid, init_kl, extra)
                if kl_per_minibatch and float(terms.approx_kl) > 1.5 * cfg.target_kl:
                    stopped = True  # SB3's rule: this minibatch's step would move too far; skip it
                    break
                if loss is None:  # the fused step wrote the gradients; NaN/inf anywhere reaches their norm
                    norm = self._clip_and_step()
                    finite &= torch.isfinite(terms.loss if norm is None else norm)
                else:
                    finite &= torch.isfinite(loss)
                    if self.flat:
                        self.flat.zero_grad()
                    else:
                        opt.zero_grad(set_to_none=True)
                    loss.backward()
                    self._clip_and_step()
                epoch_kl += terms.approx_kl
                num_mb += 1
                steps += 1
            if num_mb:
                kl_sum += epoch_kl / num_mb
                kl_count += 1
            if stopped or (cfg.target_kl > 0 and not kl_per_minibatch and float(epoch_kl / num_mb) > cfg.target_kl):
                break
        if not bool(finite):
            raise TrainingDiverged(
                f"loss became NaN/inf at update {self.update + 1}; stopping (no checkpoint of this state "
                "is written). Try a lower learning_rate or max_grad_norm."
            )
        assert terms is not None
        v, ret = b["values"], b["returns"]
        var_ret = torch.var(ret)
        explained = float(1 - torch.var(ret - v) / var_ret) if var_ret > 0 else float("nan")
        metrics = {
            "loss": terms.loss.item(), "pg_loss": float(terms.pg_loss), "v_loss": float(terms.v_loss),
            "entropy": float(terms.entropy), "approx_kl": float(kl_sum / kl_count),
            "clipfrac": float(terms.clipfrac), "epochs": kl_count, "explained_variance": explained,
        }
        metrics["minibatch_steps"] = steps
        metrics.update({k: float(v) / max(steps, 1) for k, v in extra.items()})
        if aux_valid is not None:
            metrics["aux_labelled"] = float(aux_valid.float().mean())
        if init_kl > 0:
            metrics["init_kl_coef"] = init_kl
        return metrics

    # -- exact resume ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        env_state: Any
        if hasattr(self.envs, "state_dict"):  # envs holding torch modules (self-play) save themselves
            env_state = {"state_dict": self.envs.state_dict()}
        else:
            try:
                env_state = pickle.dumps(self.envs)
            except Exception:  # e.g. subprocess vector envs: resume will reset them instead
                env_state = None
        return {
            "model": self.policy.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "global_step": self.global_step,
            "update": self.update,
            "episodes": list(self.episodes),
            "torch_generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "np_rng": self.np_rng.bit_generator.state,
            "collector": self.collector.state_dict(),
            "envs": env_state,
            "init_model": None if self.init_policy is None else self.init_policy.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.policy.load_state_dict(state["model"])
        if state.get("init_model") is not None:  # the warm start the KL penalty anchors to
            import copy

            self.init_policy = copy.deepcopy(self.policy).eval().requires_grad_(False)
            self.init_policy.load_state_dict(state["init_model"])
        if self.flat:
            self.flat.load_optimizer_state(self.optimizer, state["optimizer"], self._module_order)
        else:
            self.optimizer.load_state_dict(state["optimizer"])
        self.global_step = state["global_step"]
        self.update = state["update"]
        self.episodes = list(state["episodes"])
        self.generator.set_state(state["torch_generator"])
        torch.set_rng_state(state["torch_rng"])
        self.np_rng.bit_generator.state = state["np_rng"]
        env_state = state.get("envs")
        if isinstance(env_state, dict):
            self.envs.load_state_dict(env_state["state_dict"])
            self.collector.load_state_dict(state["collector"])
        elif env_state is not None:
            self.envs.close()
            self.envs = pickle.loads(env_state)
            self.collector.envs = self.envs
            self.collector.load_state_dict(state["collector"])
        else:
            self.collector.load_statistics(state["collector"])  # normalisation carries on regardless
            warnings.warn("checkpoint has no env state (env not picklable): envs restart from reset, "
                          "so the resumed run is not bit-exact", stacklevel=2)

    def params_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.policy.parameters())
