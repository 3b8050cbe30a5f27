"""PPO on a language model: each generated token is an action, the finished text is scored.

One update: sample ``num_envs`` completions (``group_size`` per prompt for grpo/rloo), score
them with the task's reward, add a per-token KL penalty to a frozen copy of the starting
model, turn rewards into advantages, and run the same clipped loss games use
(:func:`agentctl.ppo.loss.ppo_loss`) over the response tokens only; padding never enters a
loss or a statistic because only real tokens are gathered before any of them is computed.

Rewards per response token ``t`` of completion ``i`` (``T_i`` real tokens):

    r_t = -kl_coef * (log pi(a_t) - log pi_ref(a_t)) + [t == T_i - 1] * score_i

``gae`` runs :func:`agentctl.ppo.advantages.gae` over the tokens (gamma, normally 1, and
lambda from the config; the episode terminates at the last real token). ``rloo`` gives every
token of a completion the leave-one-out advantage of its whole return ``sum_t r_t`` within its
prompt's group; ``grpo`` standardises the task scores within the group and moves the KL
penalty into the loss (``kl_coef * k3(pi, pi_ref)`` per token). Neither trains a critic.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np
import torch
from agentctl.config import PPOConfig
from agentctl.errors import TrainingDiverged, UserError
from agentctl.ppo.advantages import gae, grpo, rloo
from agentctl.ppo.kl import AdaptiveKL, kl_penalty
from agentctl.ppo.loss import approx_kl, ppo_loss
from agentctl.ppo.trainer import make_optimizer, schedule
from agentctl.seeding import Stream, int_seed, rng
from agentctl.sequences import SequenceTask
from agentctl.text.generate import Generation, complete, response_logits, token_logprobs

SAMPLES_SHOWN = 3  # completions logged every sample_every updates


def task_scores(raw: torch.Tensor, ended: torch.Tensor, *, missing_eos_penalty: float, whiten: bool) -> torch.Tensor:
    """The scores PPO sees: the reward spec's, minus ``missing_eos_penalty`` for a completion
    that ran out of tokens without ending, standardised over the batch when ``whiten``."""
    scores = raw - missing_eos_penalty * (~ended).float()
    if whiten and scores.numel() > 1:
        scores = (scores - scores.mean()) / (scores.std() + 1e-8)
    return scores


def token_rewards(penalty: torch.Tensor, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[B, T]`` rewards: each real token's KL penalty, plus the completion's score on its last
    real token; 0 on padding."""
    rewards = penalty * mask
    rows = torch.arange(mask.shape[0], device=mask.device)
    rewards[rows, mask.sum(1) - 1] += scores
    return rewards


def token_advantages(kind: str, rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, *,
                     gamma: float, gae_lambda: float, group_size: int,
                     scores: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``[B, T]`` advantages and returns (0 on padding) by estimator ``kind``: gae, grpo or rloo.

    grpo standardises the task ``scores`` alone: with the KL penalty inside the return, a group
    whose completions scored alike would get advantages of +-1 made of KL noise divided by its
    tiny spread. Its KL penalty is a loss term instead (as in DeepSeekMath), see the trainer."""
    if kind == "gae":
        values = values * mask
        next_values = torch.cat([values[:, 1:], torch.zeros_like(values[:, :1])], 1)
        ends = torch.zeros_like(mask)  # each completion terminates at its last real token; the GAE
        ends[torch.arange(mask.shape[0], device=mask.device), mask.sum(1) - 1] = True  # recursion stops there
        adv, ret = gae(rewards.T, values.T, next_values.T, ends.T, ends.T, gamma, gae_lambda)
        return adv.T * mask, ret.T * mask
    if kind == "grpo":
        per_seq = grpo(rewards.sum(1) if scores is None else scores, group_size)
    else:
        per_seq = rloo(rewards.sum(1), group_size)
    adv = per_seq[:, None] * mask
    return adv, adv


class SequenceTrainer:
    """Token-level PPO (or GRPO / RLOO) for a ``kind="sequence"`` task; ``step()`` = one rollout
    plus one update, with the same run-facing surface as :class:`agentctl.ppo.trainer.Trainer`."""

    def __init__(self, cfg: PPOConfig, task: SequenceTask, policy: Any, scorer: Any, device: torch.device) -> None:
        self.cfg = cfg
        self.device = device
        self.envs = task  # the run closes and checkpoints it like any env
        self.scorer = scorer
        if cfg.num_steps >= policy.context_length:  # refused before any weights move
            raise UserError(f"num_steps {cfg.num_steps} (new tokens per completion) leaves no room for a prompt in "
                            f"the model's context of {policy.context_length} tokens: lower num_steps or raise "
                            "policy_kwargs.context_length")
        self.policy = policy.to(device)
        self.ref = copy.deepcopy(self.policy).eval().requires_grad_(False)
        self.optimizer = make_optimizer(self.policy, cfg, device)
        self.params = [p for p in self.policy.parameters() if p.requires_grad]
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(int_seed(cfg.seed, Stream.ACTIONS))
        self.np_rng = rng(cfg.seed, Stream.MINIBATCHES)
        self.kl = AdaptiveKL(cfg.kl_coef, cfg.kl_target, cfg.kl_horizon)
        self.group = cfg.group_size if cfg.advantage in ("grpo", "rloo") else 1
        self.global_step = 0
        self.update = 0
        self.episodes: list[tuple[float, int]] = []  # (task score, response tokens) per completion
        self.mean_kls: list[float] = []  # mean per-token KL of each update's rollout
        self.autocast = device.type == "cuda"  # bf16 matmuls on GPU; logits and losses stay fp32
        self.collector: Any = None  # set when others sample: collect(policy, n) -> (prompts, gen, texts, scores)

    # -- one update ----------------------------------------------------------------------------
    def step(self) -> dict[str, Any]:
        cfg = self.cfg
        lr, clip = schedule(cfg, self.global_step, self.optimizer)
        t0 = time.perf_counter()
        self.policy.eval()
        if self.collector is None:
            prompts, gen, texts = self.sample(cfg.num_envs)
            scores_raw = self.scorer(prompts, texts)
        else:  # rollout workers (agentctl.ray_rollout) sample and score; the math below is unchanged
            prompts, gen, texts, scores_raw = self.collector.collect(self.policy, cfg.num_envs)
        mask = gen.response_mask.bool()
        perm0 = self.np_rng.permutation(len(prompts))  # epoch 0's order: old log-probs use its chunks
        with torch.no_grad():
            old_logp, old_values, entropy = self._forward_chunks(self.policy, gen, perm0, entropy=True)
            ref_logp, _, _ = self._forward_chunks(self.ref, gen, perm0)
            scores = task_scores(torch.as_tensor(scores_raw, dtype=torch.float32, device=self.device), gen.ended,
                                 missing_eos_penalty=cfg.missing_eos_penalty, whiten=cfg.whiten_rewards)
            kl, penalty = kl_penalty(old_logp, ref_logp, self.kl.coef)
            rewards = token_rewards(penalty, scores, mask)
            advantages, returns = token_advantages(cfg.advantage, rewards, old_values, mask, gamma=cfg.gamma,
                                                   gae_lambda=cfg.gae_lambda, group_size=self.group, scores=scores)
        n_tokens = int(mask.sum())
        mean_kl = float((kl * mask).sum() / n_tokens)
        self.mean_kls.append(mean_kl)
        self.global_step += n_tokens
        self.episodes.extend(zip(map(float, scores_raw), gen.lengths.tolist()))
        t1 = time.perf_counter()
        self.policy.train()
        metrics = self._optimize(gen, mask, old_logp, old_values, ref_logp, advantages, returns, clip, perm0)
        kl_coef = self.kl.coef
        self.kl.update(mean_kl, len(prompts))
        self.update += 1
        metrics.update(
            update=self.update, global_step=self.global_step, learning_rate=lr, clip_coef=clip,
            episodes=len(prompts), mean_return=float(np.mean(scores_raw)),
            mean_length=float(gen.lengths.float().mean()), mean_kl=mean_kl, kl_coef=kl_coef,
            entropy=float(entropy[mask].mean()),  # of the policy that sampled, per real token
            ended_rate=float(gen.ended.float().mean()),
            mean_total_reward=float(rewards.sum(1).mean()), rollout_s=t1 - t0,
            update_s=time.perf_counter() - t1,
        )
        if cfg.sample_every and self.update % cfg.sample_every in (0, 1 % cfg.sample_every):
            metrics["samples"] = [{"prompt": p, "completion": c, "score": float(s)}
                                  for p, c, s in list(zip(prompts, texts, scores_raw))[:SAMPLES_SHOWN]]
        return metrics

    def sample(self, n: int) -> tuple[list[str], Generation, list[str]]:
        """``n`` completions: prompts (each repeated ``group_size`` times for grpo/rloo), the
        sampled tokens and the decoded completions (cut at the task's stop strings)."""
        task = self.envs
        prompts = [p for p in task.sample_prompts(n // self.group) for _ in range(self.group)]
        try:
            with self._autocast():
                gen, texts = complete(self.policy, prompts, self.cfg.num_steps, temperature=self.cfg.temperature,
                                      generator=self.generator, stop=task.stop,
                                      min_new_tokens=task.min_new_tokens, device=self.device)
        except RuntimeError as exc:  # NaN weights surface in sampling as "probability tensor contains nan"
            if self.params_finite():
                raise
            raise TrainingDiverged(f"the policy's weights became NaN/inf before update {self.update + 1}; stopping "
                                   "(no checkpoint of this state is written). Try a lower learning_rate or "
                                   "max_grad_norm.") from exc
        return prompts, gen, texts

    def _autocast(self) -> Any:
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast)

    def _forward(self, model: Any, gen: Generation, idx: torch.Tensor, entropy: bool = False) -> tuple[Any, ...]:
        """(log-probs, values, entropies) of rows ``idx``' response tokens under ``model``."""
        with self._autocast():
            logits, values = response_logits(model, gen.query[idx], gen.query_mask[idx], gen.response[idx],
                                             gen.response_mask[idx], self.cfg.temperature, self.envs.min_new_tokens)
        logp, ent = token_logprobs(logits, gen.response[idx], entropy)
        return logp, values, ent

    def _minibatches(self, perm: np.ndarray) -> list[torch.Tensor]:
        size = max(1, self.cfg.minibatch_size // self.cfg.num_steps)
        order = torch.from_numpy(perm).to(self.device)
        return [order[i:i + size] for i in range(0, len(perm), size)]

    def _forward_chunks(self, model: Any, gen: Generation, perm: np.ndarray, entropy: bool = False
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Log-probs and values of every response token, computed in the minibatches of the
        first epoch: the first minibatch then sees exactly these numbers again (ratio 1)."""
        B, T = gen.response.shape
        logp = torch.zeros((B, T), device=self.device)
        values = torch.zeros((B, T), device=self.device)
        ent = torch.zeros((B, T), device=self.device)
        for idx in self._minibatches(perm):
            lp, v, e = self._forward(model, gen, idx, entropy)
            logp[idx], values[idx] = lp, v
            if entropy:
                ent[idx] = e
        return logp, values, ent if entropy else None

    def _optimize(self, gen: Generation, mask: torch.Tensor, old_logp: torch.Tensor, old_values: torch.Tensor,
                  ref_logp: torch.Tensor, advantages: torch.Tensor, returns: torch.Tensor, clip: float,
                  perm0: np.ndarray) -> dict[str, Any]:
        cfg = self.cfg
        critic = cfg.advantage == "gae"
        kl_in_loss = cfg.advantage == "grpo"  # k3 KL to the reference as a loss term, weighted by kl_coef
        vf_clip = cfg.vf_clip_coef if cfg.clip_vloss else None
        finite = torch.ones((), dtype=torch.bool, device=self.device)
        kl_sum, epochs, terms, first_ratio = 0.0, 0, None, None
        for epoch in range(cfg.update_epochs):
            perm = perm0 if epoch == 0 else self.np_rng.permutation(len(perm0))
            epoch_kl, num_mb = torch.zeros((), device=self.device), 0
            for idx in self._minibatches(perm):
                m = mask[idx]
                logp, values, entropy = self._forward(self.policy, gen, idx, entropy=cfg.ent_coef > 0)
                terms = ppo_loss(
                    logp[m], old_logp[idx][m], advantages[idx][m],
                    values[m] if critic else torch.zeros_like(logp[m]), old_values[idx][m], returns[idx][m],
                    entropy[m] if entropy is not None else torch.zeros_like(logp[m]), clip_coef=clip, vf_clip_coef=vf_clip, ent_coef=cfg.ent_coef,
                    vf_coef=cfg.vf_coef if critic else 0.0, norm_adv=cfg.norm_adv,
                )
                if first_ratio is None:
                    first_ratio = float((logp[m].detach() - old_logp[idx][m]).abs().max())
                loss = terms.loss
                if kl_in_loss and self.kl.coef > 0:
                    loss = loss + self.kl.coef * approx_kl(ref_logp[idx][m] - logp[m], detach=False)
                finite &= torch.isfinite(loss)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.max_grad_norm > 0:
                    torch.nn.utils.clip_grad_norm_(self.params, cfg.max_grad_norm, foreach=True)
                self.optimizer.step()
                epoch_kl += terms.approx_kl
                num_mb += 1
            kl_sum += float(epoch_kl / num_mb)
            epochs += 1
            if cfg.target_kl > 0 and float(epoch_kl / num_mb) > cfg.target_kl:
                break
        if not bool(finite):
            raise TrainingDiverged(f"loss became NaN/inf at update {self.update + 1}; stopping (no checkpoint of "
                                   "this state is written). Try a lower learning_rate or max_grad_norm.")
        assert terms is not None
        explained = float("nan")
        if critic:
            v, ret = old_values[mask], returns[mask]
            var = torch.var(ret) if ret.numel() > 1 else torch.zeros(())
            explained = float(1 - torch.var(ret - v) / var) if var > 0 else float("nan")
        return {
            "loss": float(terms.loss.detach()), "pg_loss": float(terms.pg_loss), "v_loss": float(terms.v_loss),
            "entropy": float(terms.entropy), "approx_kl": kl_sum / epochs, "clipfrac": float(terms.clipfrac),
            "epochs": epochs, "explained_variance": explained, "first_logratio_max": first_ratio,
        }

    # -- what the run reads --------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """``mean_kl``: mean per-token KL to the reference over the last 10% of updates."""
        k = max(1, len(self.mean_kls) // 10)
        return {"mean_kl": float(np.mean(self.mean_kls[-k:])) if self.mean_kls else None,
                "kl_coef": self.kl.coef}

    def params_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.policy.parameters())

    # -- exact resume --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "model": self.policy.state_dict(), "ref_model": self.ref.state_dict(),
            "optimizer": self.optimizer.state_dict(), "global_step": self.global_step, "update": self.update,
            "episodes": list(self.episodes), "mean_kls": list(self.mean_kls), "kl_coef": self.kl.coef,
            "torch_generator": self.generator.get_state(), "torch_rng": torch.get_rng_state(),
            "np_rng": self.np_rng.bit_generator.state, "task": self.envs.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.policy.load_state_dict(state["model"])
        self.ref.load_state_dict(state["ref_model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.global_step, self.update = state["global_step"], state["update"]
        self.episodes, self.mean_kls = list(state["episodes"]), list(state["mean_kls"])
        self.kl.coef = state["kl_coef"]
        self.generator.set_state(state["torch_generator"])
        torch.set_rng_state(state["torch_rng"])
        self.np_rng.bit_generator.state = state["np_rng"]
        self.envs.load_state_dict(state["task"])
