"""CellActionDist: per-cell actions computed only on the cells with a choice.

Checked against ActionDist, which computes every cell: log-probs and entropies differ only by a
constant that does not depend on the logits (the forced cells' and unused components' terms),
so PPO ratios and entropy gradients are the same; sampling is legal and matches the forced values.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from agentctl.nn.cell_dist import CellActionDist
from agentctl.nn.distributions import ActionDist

P = [3, 2, 4]  # a small per-cell pattern: type, direction, target
CELLS = 6


def _mask(batch: int, seed: int = 0) -> torch.Tensor:
    """Cells of three kinds: empty (only value 0 of component 0), busy with one forced choice, or
    free (several legal values; component 2 sometimes entirely illegal)."""
    g = np.random.default_rng(seed)
    m = np.zeros((batch, CELLS, sum(P)), dtype=bool)
    for b in range(batch):
        for c in range(CELLS):
            kind = g.integers(3)
            m[b, c, 0] = True
            if kind == 1:
                m[b, c, 3 + g.integers(2)] = True  # component 1 forced to one value, component 2 unused
            elif kind == 2:
                m[b, c, 1] = True
                m[b, c, 3:5] = True
                if g.random() < 0.5:
                    m[b, c, 5 + g.choice(4, size=2, replace=False)] = True
    return torch.from_numpy(m.reshape(batch, -1))


def test_log_prob_and_entropy_differ_from_the_full_computation_by_a_logit_free_constant():
    cd, full = CellActionDist(P, CELLS), ActionDist(P * CELLS, discrete=False)
    mask = _mask(32)
    actions = cd.sample(torch.randn(32, CELLS * sum(P)), mask, torch.Generator().manual_seed(1))
    offsets = []
    for seed in range(3):
        logits = torch.randn(32, CELLS * sum(P), generator=torch.Generator().manual_seed(seed)) * 3
        lp, ent = cd.evaluate(logits, actions, mask)
        lp_full, ent_full = full.evaluate(logits, actions, mask)
        offsets.append((lp_full - lp, ent_full - ent))
    for lp_off, ent_off in offsets[1:]:
        torch.testing.assert_close(lp_off, offsets[0][0], atol=1e-4, rtol=0)
        torch.testing.assert_close(ent_off, offsets[0][1], atol=1e-4, rtol=0)
    # ...and the constant is exactly the unused components' uniform terms: -log n each
    m = mask.view(32, CELLS, sum(P))
    unused = torch.stack([m[..., 3:5].sum(-1) == 0, m[..., 5:].sum(-1) == 0], -1)  # components 1 and 2
    expected = -(unused[..., 0] * np.log(2) + unused[..., 1] * np.log(4)).sum(-1)
    torch.testing.assert_close(offsets[0][0], expected.float(), atol=1e-4, rtol=0)


def test_gradients_match_the_full_computation():
    cd, full = CellActionDist(P, CELLS), ActionDist(P * CELLS, discrete=False)
    mask = _mask(16, seed=2)
    logits = torch.randn(16, CELLS * sum(P), requires_grad=True)
    actions = cd.sample(logits.detach(), mask, torch.Generator().manual_seed(0))
    grads = []
    for dist in (cd, full):
        lp, ent = dist.evaluate(logits, actions, mask)
        (g,) = torch.autograd.grad((lp * torch.arange(16)).sum() + 0.3 * ent.sum(), logits)
        grads.append(g)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-5, rtol=1e-4)


def test_sampling_is_legal_forced_where_there_is_no_choice_and_its_log_prob_is_evaluates():
    cd = CellActionDist(P, CELLS)
    mask = _mask(64, seed=3)
    logits = torch.randn(64, CELLS * sum(P))
    actions, logp = cd.sample_with_log_prob(logits, mask, torch.Generator().manual_seed(0))
    torch.testing.assert_close(logp, cd.evaluate(logits, actions, mask)[0])
    m = mask.view(64, CELLS, sum(P))
    a = actions.view(64, CELLS, len(P))
    offsets = [0, 3, 5]
    for j, (off, n) in enumerate(zip(offsets, P)):
        comp = m[..., off:off + n]
        legal_any = comp.any(-1)
        chosen_ok = comp.gather(-1, a[..., j:j + 1]).squeeze(-1)
        assert (chosen_ok | ~legal_any).all(), f"component {j}: an illegal value was sampled"
        assert (a[..., j][~legal_any] == 0).all(), f"component {j}: an unused component must take 0"
        single = comp.sum(-1) == 1
        assert (a[..., j][single] == comp.float().argmax(-1)[single]).all()
    greedy = cd.mode(logits, mask)
    assert cd.evaluate(logits, greedy, mask)[0].ge(logp - 1e-6).all(), "mode is not the most likely action"


def test_sampled_values_follow_the_probabilities():
    cd = CellActionDist(P, 1)
    mask = torch.ones(1, sum(P), dtype=torch.bool)
    logits = torch.tensor([[0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    g = torch.Generator().manual_seed(0)
    draws = torch.stack([cd.sample(logits, mask, g)[0, 0] for _ in range(4000)])
    freq = torch.bincount(draws, minlength=3).float() / 4000
    torch.testing.assert_close(freq, torch.softmax(logits[0, :3], -1), atol=0.03, rtol=0)


def test_without_a_mask_it_is_actiondist():
    cd, full = CellActionDist(P, CELLS), ActionDist(P * CELLS, discrete=False)
    logits = torch.randn(8, CELLS * sum(P))
    a = full.sample(logits, None, torch.Generator().manual_seed(0))
    for x, y in zip(cd.evaluate(logits, a, None), full.evaluate(logits, a, None)):
        torch.testing.assert_close(x, y)


@pytest.mark.parametrize("batch", [1, 5])
def test_a_batch_with_no_choice_anywhere(batch):
    cd = CellActionDist(P, CELLS)
    mask = torch.zeros(batch, CELLS * sum(P), dtype=torch.bool)
    mask.view(batch, CELLS, sum(P))[..., 0] = True
    actions, logp = cd.sample_with_log_prob(torch.randn(batch, CELLS * sum(P)), mask)
    assert (actions == 0).all() and (logp == 0).all() and (cd.entropy(torch.randn(batch, CELLS * sum(P)), mask) == 0).all()
