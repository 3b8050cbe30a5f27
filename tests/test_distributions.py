"""ActionDist vs numpy softmax, with masks, for Discrete and MultiDiscrete (equal / unequal)."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from agentctl.nn.distributions import ActionDist, masked_logits, smallest_period


def np_log_softmax_legal(x, legal):
    """log-softmax over legal entries only; -inf on illegal ones."""
    x = np.where(legal, x, -np.inf)
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def np_probs(x, legal):
    return np.exp(np_log_softmax_legal(x, legal))


def np_entropy(x, legal):
    p = np_probs(x, legal)
    lp = np.where(legal, np_log_softmax_legal(x, legal), 0.0)
    return -(p * lp).sum(-1)


def make_case(nvec, B=6, seed=0):
    rng = np.random.default_rng(seed)
    n = sum(nvec)
    logits = rng.normal(0, 2.0, size=(B, n))
    mask = rng.random((B, n)) < 0.6
    # every component keeps >= 1 legal action; row 0 has exactly one legal per component
    off = 0
    for k in nvec:
        seg = mask[:, off:off + k]
        seg[np.arange(B), rng.integers(0, k, B)] = True
        seg[0] = False
        seg[0, k - 1] = True
        off += k
    return logits, mask


def segments(nvec):
    off = np.concatenate([[0], np.cumsum(nvec)])
    return [slice(off[i], off[i + 1]) for i in range(len(nvec))]


# -- Discrete --------------------------------------------------------------------------------


def test_discrete_masked_probs_match_numpy_and_illegal_are_exact_zero():
    logits, mask = make_case([7])
    d = ActionDist([7])
    assert d.is_discrete and d.num_logits == 7
    lt, mt = torch.tensor(logits, dtype=torch.float32), torch.tensor(mask)
    B = logits.shape[0]
    probs = np.stack([
        d.log_prob(lt, torch.full((B,), a, dtype=torch.int64), mt).exp().numpy()
        for a in range(7)
    ], axis=-1)
    np.testing.assert_allclose(probs, np_probs(logits, mask), rtol=1e-5, atol=1e-7)
    assert np.all(probs[~mask] == 0.0)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)


def test_discrete_entropy_over_legal_only():
    logits, mask = make_case([5], seed=1)
    d = ActionDist([5])
    ent = d.entropy(torch.tensor(logits), torch.tensor(mask)).numpy()
    np.testing.assert_allclose(ent, np_entropy(logits, mask), rtol=1e-10, atol=1e-12)
    assert ent[0] == 0.0  # one legal action: zero entropy exactly
    # unmasked entropy is larger than masked (more support) for these rows
    full = d.entropy(torch.tensor(logits)).numpy()
    np.testing.assert_allclose(full, np_entropy(logits, np.ones_like(mask)), rtol=1e-10)


@pytest.mark.parametrize("nvec", [[6], [4, 4, 4], [3, 5, 2]])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_no_nan_or_inf_in_values_or_gradients(nvec, dtype):
    logits, mask = make_case(nvec, seed=2)
    d = ActionDist(nvec)
    lt = torch.tensor(logits, dtype=dtype, requires_grad=True)
    mt = torch.tensor(mask)
    actions = d.mode(lt, mt)
    logp, ent = d.evaluate(lt, actions, mt)
    assert torch.isfinite(logp).all() and torch.isfinite(ent).all()
    (logp.sum() + ent.sum()).backward()
    assert torch.isfinite(lt.grad).all()
    # illegal logits get zero gradient; row 0 (one legal per component) has zero gradient
    assert torch.all(lt.grad[~mt] == 0)
    assert torch.all(lt.grad[0] == 0)
    # separate entropy-only backward too (p*logp product path)
    lt2 = torch.tensor(logits, dtype=dtype, requires_grad=True)
    (d.entropy(lt2, mt).sum() * 65536.0).backward()  # AMP-like loss scale
    assert torch.isfinite(lt2.grad).all()


def test_masked_logits_is_finite_and_preserves_legal():
    x = torch.randn(3, 4)
    m = torch.tensor([[True, False, True, False]] * 3)
    y = masked_logits(x, m)
    assert torch.isfinite(y).all()
    assert torch.equal(y[m], x[m]) and torch.all(y[~m] < -1e8)
    assert masked_logits(x, None) is x


def test_samples_never_illegal_and_frequencies_match():
    rng = np.random.default_rng(5)
    n = 6
    logits = rng.normal(0, 1.0, size=n)
    legal = np.array([True, False, True, True, False, True])
    M = 40000
    lt = torch.tensor(np.tile(logits, (M, 1)), dtype=torch.float32)
    mt = torch.tensor(np.tile(legal, (M, 1)))
    d = ActionDist([n])
    g = torch.Generator().manual_seed(0)
    for acts in (d.sample(lt, mt, generator=g), d.sample_with_log_prob(lt, mt, generator=g)[0]):
        assert acts.shape == (M,) and acts.dtype == torch.int64
        counts = np.bincount(acts.numpy(), minlength=n)
        assert counts[~legal].sum() == 0
        p = np_probs(logits, legal)
        exp = M * p[legal]
        chi2 = ((counts[legal] - exp) ** 2 / exp).sum()
        assert chi2 < 20.0  # 3 dof: P(chi2 > 20) ~ 2e-4


def test_sample_with_log_prob_consistent_with_log_prob():
    logits, mask = make_case([3, 5, 2], B=50, seed=6)
    d = ActionDist([3, 5, 2])
    lt, mt = torch.tensor(logits), torch.tensor(mask)
    acts, lp = d.sample_with_log_prob(lt, mt, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(lp, d.log_prob(lt, acts, mt))


def test_generator_makes_sampling_repeatable():
    logits, mask = make_case([4, 4], B=256, seed=7)
    d = ActionDist([4, 4])
    lt, mt = torch.tensor(logits), torch.tensor(mask)
    a1 = d.sample(lt, mt, generator=torch.Generator().manual_seed(123))
    a2 = d.sample(lt, mt, generator=torch.Generator().manual_seed(123))
    a3 = d.sample(lt, mt, generator=torch.Generator().manual_seed(124))
    assert torch.equal(a1, a2)
    assert not torch.equal(a1, a3)
    b1, _ = d.sample_with_log_prob(lt, mt, generator=torch.Generator().manual_seed(9))
    b2, _ = d.sample_with_log_prob(lt, mt, generator=torch.Generator().manual_seed(9))
    assert torch.equal(b1, b2)


def test_mode_is_argmax_of_legal():
    logits, mask = make_case([3, 5, 2], seed=8)
    d = ActionDist([3, 5, 2])
    m = d.mode(torch.tensor(logits), torch.tensor(mask)).numpy()
    for i, s in enumerate(segments([3, 5, 2])):
        ref = np.where(mask[:, s], logits[:, s], -np.inf).argmax(-1)
        np.testing.assert_array_equal(m[:, i], ref)


# -- MultiDiscrete ---------------------------------------------------------------------------


@pytest.mark.parametrize("nvec", [[4, 4, 4], [3, 5, 2]], ids=["equal", "unequal"])
def test_multidiscrete_log_prob_entropy_vs_numpy(nvec):
    logits, mask = make_case(nvec, B=40, seed=9)
    d = ActionDist(nvec)
    assert not d.is_discrete and d.num_logits == sum(nvec)
    rng = np.random.default_rng(10)
    segs = segments(nvec)
    # random legal actions per component
    acts = np.stack([
        np.array([rng.choice(np.flatnonzero(mask[b, s])) for b in range(len(logits))])
        for s in segs
    ], axis=-1)
    ref_lp = sum(
        np_log_softmax_legal(logits[:, s], mask[:, s])[np.arange(len(logits)), acts[:, i]]
        for i, s in enumerate(segs)
    )
    ref_ent = sum(np_entropy(logits[:, s], mask[:, s]) for s in segs)
    lt, mt, at = torch.tensor(logits), torch.tensor(mask), torch.tensor(acts)
    np.testing.assert_allclose(d.log_prob(lt, at, mt).numpy(), ref_lp, rtol=1e-10)
    np.testing.assert_allclose(d.entropy(lt, mt).numpy(), ref_ent, rtol=1e-10, atol=1e-12)
    lp, ent = d.evaluate(lt, at, mt)
    np.testing.assert_allclose(lp.numpy(), ref_lp, rtol=1e-10)
    np.testing.assert_allclose(ent.numpy(), ref_ent, rtol=1e-10, atol=1e-12)
    # unmasked
    rows = np.arange(len(logits))
    ref_lp_full = sum(
        np_log_softmax_legal(logits[:, s], np.ones_like(mask[:, s]))[rows, acts[:, i]]
        for i, s in enumerate(segs)
    )
    np.testing.assert_allclose(d.log_prob(lt, at).numpy(), ref_lp_full, rtol=1e-10)


@pytest.mark.parametrize("nvec", [[4, 4, 4], [3, 5, 2]], ids=["equal", "unequal"])
def test_multidiscrete_samples_legal_with_per_component_frequencies(nvec):
    rng = np.random.default_rng(11)
    logits = rng.normal(0, 1.0, size=sum(nvec))
    legal = rng.random(sum(nvec)) < 0.7
    segs = segments(nvec)
    for s in segs:
        legal[s.start] = True
    M = 30000
    d = ActionDist(nvec)
    lt = torch.tensor(np.tile(logits, (M, 1)), dtype=torch.float32)
    mt = torch.tensor(np.tile(legal, (M, 1)))
    acts = d.sample(lt, mt, generator=torch.Generator().manual_seed(2)).numpy()
    assert acts.shape == (M, len(nvec))
    for i, s in enumerate(segs):
        k = s.stop - s.start
        counts = np.bincount(acts[:, i], minlength=k)
        assert counts.shape == (k,)
        lg = legal[s]
        assert counts[~lg].sum() == 0
        exp = M * np_probs(logits[s], lg)[lg]
        if len(exp) > 1:
            assert ((counts[lg] - exp) ** 2 / exp).sum() < 25.0


# -- construction ----------------------------------------------------------------------------


def test_from_space():
    d = ActionDist.from_space(gym.spaces.Discrete(5))
    assert d.is_discrete and d.num_logits == 5
    md = ActionDist.from_space(gym.spaces.MultiDiscrete([3, 4]))
    assert not md.is_discrete and md.num_logits == 7 and md.nvec == (3, 4)
    # MultiDiscrete([n]) keeps its [B, 1] action shape (the env expects it)
    one = ActionDist.from_space(gym.spaces.MultiDiscrete([3]))
    assert one.is_discrete is False
    logits = torch.tensor([[0.0, 5.0, 1.0], [2.0, 0.0, 9.0]])
    assert one.mode(logits).tolist() == [[1], [2]]
    assert one.sample(logits).shape == (2, 1)
    lp = one.log_prob(logits, torch.tensor([[1], [2]]))
    torch.testing.assert_close(lp, logits.log_softmax(-1)[[0, 1], [1, 2]])


def test_from_space_rejects_box_and_others_clearly():
    with pytest.raises(ValueError, match=r"unsupported action space.*Box"):
        ActionDist.from_space(gym.spaces.Box(-1, 1, (2,)))
    with pytest.raises(ValueError, match="1-D nvec"):
        ActionDist.from_space(gym.spaces.MultiDiscrete([[2, 3], [4, 5]]))
    with pytest.raises(ValueError, match="start"):
        ActionDist.from_space(gym.spaces.Discrete(3, start=1))


# -- periodic nvec fast path (per-cell grid action spaces) ------------------------------------

GRID_CELL = [6, 4, 4, 4, 4, 7, 49]  # the RTS per-cell pattern


def test_smallest_period():
    assert smallest_period([4, 4, 4]) == (4,)
    assert smallest_period([3, 5, 3, 5]) == (3, 5)
    assert smallest_period([3, 5, 3]) == (3, 5, 3)
    assert smallest_period([2, 2, 3, 2, 2, 3]) == (2, 2, 3)
    assert smallest_period([7]) == (7,)
    assert smallest_period(GRID_CELL * 64) == tuple(GRID_CELL)


def grid_case(cells, B=12, seed=0):
    """Masks like the RTS ones: one cell's parameter components may be entirely False."""
    rng = np.random.default_rng(seed)
    nvec = GRID_CELL * cells
    logits, mask = make_case(nvec, B=B, seed=seed)
    off = np.concatenate([[0], np.cumsum(nvec)])
    for c in range(len(nvec)):
        if c % len(GRID_CELL) and rng.random() < 0.4:  # never the type component
            mask[:, off[c]:off[c + 1]] = False
    return nvec, logits, mask


def split_reference(nvec):
    """The same ActionDist forced onto the plain one-piece-per-component path."""
    d = ActionDist(nvec, discrete=False)
    d._pattern, d._repeats = tuple(nvec), 1
    return d


@pytest.mark.parametrize("cells", [1, 5])
def test_periodic_path_matches_split_path_and_categorical(cells):
    nvec, logits, mask = grid_case(cells)
    fast, slow = ActionDist(nvec, discrete=False), split_reference(nvec)
    assert fast._pattern == tuple(GRID_CELL) and fast._repeats == cells
    lt = torch.tensor(logits, dtype=torch.float32)
    mt = torch.tensor(mask)
    acts = fast.sample(lt, mt, generator=torch.Generator().manual_seed(3))
    assert acts.shape == (len(logits), len(nvec))
    assert torch.equal(acts, slow.sample(lt, mt, generator=torch.Generator().manual_seed(3)))
    assert torch.equal(fast.mode(lt, mt), slow.mode(lt, mt))
    # torch.distributions.Categorical per component, on the same large-negative masked logits
    # (in float64: its logsumexp of an all-masked component, -1e9 + log n, rounds away in fp32)
    x = masked_logits(lt.double(), mt)
    cats = [torch.distributions.Categorical(logits=x[:, s]) for s in segments(nvec)]
    ref_lp = sum(c.log_prob(acts[:, i]) for i, c in enumerate(cats)).float()
    ref_ent = sum(c.entropy() for c in cats).float()
    ref_mode = torch.stack([c.probs.argmax(-1) for c in cats], -1)
    lp, ent = fast.evaluate(lt, acts, mt)
    torch.testing.assert_close(lp, ref_lp, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(ent, ref_ent, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(lp, slow.log_prob(lt, acts, mt), rtol=1e-6, atol=1e-5)
    torch.testing.assert_close(ent, slow.entropy(lt, mt), rtol=1e-6, atol=1e-5)
    # mode: where a component is entirely masked every value ties; elsewhere match Categorical
    live = torch.stack([mt[:, s].any(-1) for s in segments(nvec)], -1)
    assert torch.equal(fast.mode(lt, mt)[live], ref_mode[live])
    a2, lp2 = fast.sample_with_log_prob(lt, mt, generator=torch.Generator().manual_seed(4))
    b2, lq2 = slow.sample_with_log_prob(lt, mt, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a2, b2)
    torch.testing.assert_close(lp2, lq2)
    assert not mt.gather(-1, a2 + fast._offset(a2.device))[live].logical_not().any()  # legal picks
    # gradients agree too, and stay finite
    grads = []
    for d in (fast, slow):
        lg = lt.clone().requires_grad_()
        lp, ent = d.evaluate(lg, acts, mt)
        (lp.sum() + 0.1 * ent.sum()).backward()
        grads.append(lg.grad)
    assert torch.isfinite(grads[0]).all()
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-5, atol=1e-6)


def test_entirely_masked_component_is_finite_and_constant():
    nvec = GRID_CELL * 3
    d = ActionDist(nvec, discrete=False)
    logits = torch.randn(4, sum(nvec), requires_grad=True)
    mask = torch.ones(4, sum(nvec), dtype=torch.bool)
    mask[:, 6:] = False  # cell 0: every parameter component masked out
    base = torch.zeros(4, len(nvec), dtype=torch.int64)
    lp0 = d.log_prob(logits, base, mask)
    for value in (1, 3):  # a different value of a dead component: same log-prob
        other = base.clone()
        other[:, 1] = value
        torch.testing.assert_close(d.log_prob(logits, other, mask), lp0)
    lp, ent = d.evaluate(logits, base, mask)
    assert torch.isfinite(lp).all() and torch.isfinite(ent).all()
    (lp.sum() + ent.sum()).backward()
    assert torch.all(logits.grad[:, 6:78] == 0)  # no gradient into a dead component


def test_sampling_from_bf16_logits_is_unbiased():
    """Gumbel noise drawn in bf16 (8 bits of mantissa) caps at about 4.85, so an action 6 nats
    behind is sampled ~3.5x too rarely; drawn in float32 the frequency matches softmax."""
    import math

    dist = ActionDist([2])
    logits = torch.tensor([[0.0, -6.0]]).expand(400_000, 2).to(torch.bfloat16)
    freq = dist.sample(logits, generator=torch.Generator().manual_seed(0)).float().mean().item()
    p = math.exp(-6) / (1 + math.exp(-6))
    sd = math.sqrt(p * (1 - p) / 400_000)
    assert abs(freq - p) < 4 * sd
    actions, _ = dist.sample_with_log_prob(logits, generator=torch.Generator().manual_seed(1))
    assert abs(actions.float().mean().item() - p) < 4 * sd
