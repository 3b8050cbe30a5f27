"""The token-level PPO math against hand computations: KL penalty, the adaptive coefficient,
per-token rewards, GAE over response tokens, GRPO and RLOO groups."""

from __future__ import annotations

import math

import pytest
import torch
from agentctl.ppo.advantages import grpo, rloo
from agentctl.ppo.kl import AdaptiveKL, kl_penalty
from agentctl.ppo.sequence_trainer import task_scores, token_advantages, token_rewards


def test_kl_penalty_is_minus_coef_times_logratio_per_token():
    logp = torch.tensor([[-1.0, -2.0, -0.5]])
    ref = torch.tensor([[-1.5, -1.0, -0.5]])
    kl, pen = kl_penalty(logp, ref, 0.1)
    assert kl[0].tolist() == pytest.approx([0.5, -1.0, 0.0])
    assert pen[0].tolist() == pytest.approx([-0.05, 0.1, 0.0])


def test_adaptive_kl_coefficient_matches_hand_computation():
    ctl = AdaptiveKL(coef=0.1, target=0.2, horizon=100)
    # KL 0.3: error 0.5 clipped to +0.2; 10 completions of a 100 horizon -> x1.02
    assert ctl.update(0.3, 10) == pytest.approx(0.1 * 1.02)
    # KL 0.15: error -0.25 clipped to -0.2 -> x0.98
    assert ctl.update(0.15, 10) == pytest.approx(0.1 * 1.02 * 0.98)
    # KL 0.19: error -0.05 (inside the clip), 50 completions -> x(1 - 0.05 * 0.5)
    assert ctl.update(0.19, 50) == pytest.approx(0.1 * 1.02 * 0.98 * (1 - 0.025))
    fixed = AdaptiveKL(coef=0.1, target=0.0)
    assert fixed.update(5.0, 1000) == 0.1


def test_token_rewards_put_the_score_on_the_last_real_token_and_nothing_on_padding():
    penalty = torch.tensor([[-0.1, -0.2, -0.3, -0.4], [0.05, 0.06, -0.07, -0.08]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=torch.bool)
    rewards = token_rewards(penalty, torch.tensor([1.0, -2.0]), mask)
    expected = [[-0.1, -0.2, -0.3, -0.4 + 1.0], [0.05, 0.06 - 2.0, 0.0, 0.0]]
    assert rewards.tolist() == [pytest.approx(row) for row in expected]


def test_gae_over_response_tokens_matches_a_hand_recursion():
    gamma, lam = 1.0, 0.9
    rewards = torch.tensor([[0.1, -0.2, 1.5], [0.3, 2.0, 0.0]])
    values = torch.tensor([[0.5, 0.4, 0.8], [0.2, 0.1, 9.9]])  # 9.9 sits on padding: ignored
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]], dtype=torch.bool)
    adv, ret = token_advantages("gae", rewards, values, mask, gamma=gamma, gae_lambda=lam, group_size=1)
    for i, n in enumerate([3, 2]):
        r, v = rewards[i, :n].tolist(), values[i, :n].tolist()
        expect, last = [0.0] * n, 0.0
        for t in reversed(range(n)):
            nxt = v[t + 1] if t + 1 < n else 0.0  # the completion ends at its last token
            last = r[t] + gamma * nxt - v[t] + gamma * lam * last
            expect[t] = last
        assert adv[i, :n].tolist() == pytest.approx(expect, abs=1e-6)
        assert ret[i, :n].tolist() == pytest.approx([a + b for a, b in zip(expect, v)], abs=1e-6)
    assert adv[1, 2] == 0 and ret[1, 2] == 0


def test_grpo_standardises_within_each_group():
    returns = torch.tensor([1.0, 2.0, 3.0, 6.0, 5.0, 5.0, 5.0, 5.0])
    adv = grpo(returns, 4)
    g1 = [1.0, 2.0, 3.0, 6.0]
    mean = sum(g1) / 4
    std = math.sqrt(sum((x - mean) ** 2 for x in g1) / 3)  # unbiased, as DeepSeekMath/TRL
    assert adv[:4].tolist() == pytest.approx([(x - mean) / (std + 1e-4) for x in g1], rel=1e-5)
    assert adv[4:].tolist() == [0.0] * 4  # all alike: nothing to learn


def test_rloo_subtracts_the_mean_of_the_other_completions():
    returns = torch.tensor([1.0, 2.0, 6.0, 0.0, 4.0, 8.0])
    adv = rloo(returns, 3)
    expected = [1 - (2 + 6) / 2, 2 - (1 + 6) / 2, 6 - (1 + 2) / 2, 0 - 6, 4 - 4, 8 - 2]
    assert adv.tolist() == pytest.approx(expected)


def test_group_estimators_give_every_token_its_completions_advantage():
    rewards = torch.tensor([[0.0, 1.0], [0.5, 0.0], [2.0, 0.0], [0.0, 0.0]])
    mask = torch.tensor([[1, 1], [1, 0], [1, 0], [1, 1]], dtype=torch.bool)
    adv, _ = token_advantages("rloo", rewards, torch.zeros(4, 2), mask, gamma=1.0, gae_lambda=1.0, group_size=2)
    # totals 1.0, 0.5 | 2.0, 0.0 -> rloo 0.5, -0.5 | 2.0, -2.0, spread over real tokens only
    assert adv.tolist() == [[0.5, 0.5], [-0.5, 0.0], [2.0, 0.0], [-2.0, -2.0]]


def test_groups_must_divide_the_batch():
    with pytest.raises(ValueError, match="groups of 4"):
        grpo(torch.zeros(6), 4)


def test_grpo_standardises_task_scores_not_kl_noise():
    """A group whose completions all scored alike learns nothing from it, however their KL
    penalties differ (the penalty is a loss term for grpo, not part of the standardised return)."""
    mask = torch.ones(4, 3, dtype=torch.bool)
    penalty = torch.tensor([[1e-3, -2e-3, 0.0], [4e-3, 0.0, 1e-3], [-1e-3, 0.0, 0.0], [2e-3, 2e-3, 2e-3]])
    scores = torch.tensor([0.5, 0.5, 0.5, 0.5])
    rewards = token_rewards(penalty, scores, mask)
    adv, _ = token_advantages("grpo", rewards, torch.zeros(4, 3), mask, gamma=1.0, gae_lambda=1.0,
                              group_size=4, scores=scores)
    assert adv.abs().max() == 0
    scores = torch.tensor([1.0, 0.0, 0.0, 0.0])
    adv, _ = token_advantages("grpo", token_rewards(penalty, scores, mask), torch.zeros(4, 3), mask,
                              gamma=1.0, gae_lambda=1.0, group_size=4, scores=scores)
    assert adv[:, 0].tolist() == pytest.approx(grpo(scores, 4).tolist())


def test_missing_eos_penalty_then_whitening():
    raw = torch.tensor([1.0, 0.0, 0.5, 0.5])
    ended = torch.tensor([True, False, True, False])
    plain = task_scores(raw, ended, missing_eos_penalty=0.0, whiten=False)
    assert plain.tolist() == [1.0, 0.0, 0.5, 0.5]
    penalised = task_scores(raw, ended, missing_eos_penalty=0.25, whiten=False)
    assert penalised.tolist() == [1.0, -0.25, 0.5, 0.25]
    white = task_scores(raw, ended, missing_eos_penalty=0.25, whiten=True)
    values = [1.0, -0.25, 0.5, 0.25]
    mean = sum(values) / 4
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / 3)
    assert white.tolist() == pytest.approx([(v - mean) / std for v in values], rel=1e-5)
