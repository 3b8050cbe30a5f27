"""Observation normalisation and reward scaling (config normalize_obs / normalize_reward).

The statistics against closed forms, the collector's use of them (stored observations are
what the policy saw, reported returns stay raw), exact resume, and frozen application by
``agentctl eval``.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from agentctl import checkpoint
from agentctl.errors import UserError
from agentctl.nn.mlp import build_mlp
from agentctl.normalize import ObsNormalizer, RewardScaler, RunningMeanStd, obs_normalizer_from
from agentctl.ppo.rollout import Collector
from gymnasium.vector import VectorWrapper

CPU = torch.device("cpu")
PRIOR = 1e-4  # the statistics' pseudo-count at mean 0, variance 1


def closed_form(xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of all of ``xs`` (rows) pooled with the pseudo-count prior, in one pass."""
    n = len(xs) + PRIOR
    mean = xs.sum(axis=0) / n
    m2 = PRIOR * (1.0 + mean**2) + ((xs - mean) ** 2).sum(axis=0)
    return mean, m2 / n


# -- the statistics --------------------------------------------------------------------------
def test_running_stats_equal_numpy_over_uneven_batches():
    rng = np.random.default_rng(0)
    scale = np.array([1e-3, 1.0, 300.0])
    batches = [rng.normal(5.0, 1.0, (k, 3)) * scale for k in (1, 7, 2, 50, 13)]
    rms = RunningMeanStd((3,))
    for b in batches:
        rms.update(b)
    seen = np.concatenate(batches)
    mean, var = closed_form(seen)
    np.testing.assert_allclose(rms.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(rms.var, var, rtol=1e-12)
    assert rms.count == pytest.approx(len(seen) + PRIOR, rel=1e-15)
    # and numpy's own mean and population variance, where the prior (variance 1 at 0, weight
    # 1e-4) is negligible: not in column 0, whose variance is ~1e-6
    np.testing.assert_allclose(rms.mean, seen.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(rms.var[1:], seen.var(axis=0)[1:], rtol=1e-4)


def test_obs_normalizer_includes_the_batch_and_clips():
    x = np.array([[1.0, 10.0], [3.0, 10.0], [2.0, 1e6]], dtype=np.float32)
    norm = ObsNormalizer(clip=1.2)
    out = norm(x)
    mean, var = closed_form(x.astype(np.float64))  # the stats already include this batch
    expected = np.clip((x - mean) / np.sqrt(var + 1e-8), -1.2, 1.2)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == np.float32 and out[2, 1] == pytest.approx(1.2) and np.abs(out).max() <= 1.2 + 1e-7
    frozen = ObsNormalizer(frozen=True)
    frozen.load_state_dict(norm.state_dict())
    frozen(x * 7)
    np.testing.assert_array_equal(frozen.rms.mean, norm.rms.mean)  # frozen: never updated


def test_reward_scaler_matches_hand_computation():
    """SB3's rule: R = gamma * R + r per env (0 after its episode ends), var over every R seen,
    reward / sqrt(var + 1e-8) clipped. Env 1's step 2 is an autoreset step: ignored."""
    gamma, clip = 0.9, 1.5
    rewards = np.array([[1.0, -2.0], [2.0, 0.5], [3.0, 100.0], [4.0, 1.0]])
    dones = np.array([[False, False], [False, True], [True, False], [False, False]])
    valid = np.array([[True, True], [True, True], [True, False], [True, True]])
    # by hand: env 0 returns 1, 2.9, 5.61 (ends), 4; env 1: -2, -1.3 (ends), (skip), 1
    returns_seen = [[1.0, -2.0], [2.9, -1.3], [5.61], [4.0, 1.0]]
    scaler = RewardScaler(2, gamma, clip)
    pooled: list[float] = []
    for t in range(4):
        got = scaler(rewards[t], dones[t], valid[t])
        pooled += returns_seen[t]
        _, var = closed_form(np.array(pooled))
        expected = np.clip(rewards[t] / np.sqrt(var + 1e-8), -clip, clip)
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert got[0] == pytest.approx(clip)  # 4 / std: clipped
    np.testing.assert_allclose(scaler.returns, [4.0, 1.0])


def test_state_dicts_round_trip_bit_exactly(tmp_path):
    rng = np.random.default_rng(1)
    norm, scaler = ObsNormalizer(clip=5.0), RewardScaler(3, 0.97, 2.0)
    for _ in range(5):
        norm(rng.normal(0, 3, (3, 4)))
        scaler(rng.normal(0, 3, 3), rng.random(3) < 0.3)
    torch.save({"o": norm.state_dict(), "r": scaler.state_dict()}, tmp_path / "s.pt")
    saved = torch.load(tmp_path / "s.pt", weights_only=False)
    norm2, scaler2 = ObsNormalizer(), RewardScaler(3, 0.5)
    norm2.load_state_dict(saved["o"])
    scaler2.load_state_dict(saved["r"])
    x, r, d = rng.normal(0, 3, (3, 4)), rng.normal(0, 3, 3), np.array([True, False, False])
    assert np.array_equal(norm(x), norm2(x)) and np.array_equal(scaler(r, d), scaler2(r, d))
    assert np.array_equal(norm.rms.var, norm2.rms.var) and norm.rms.count == norm2.rms.count
    assert np.array_equal(scaler.returns, scaler2.returns) and np.array_equal(scaler.rms.var, scaler2.rms.var)


# -- in the collector ------------------------------------------------------------------------
class RecordObs(VectorWrapper):
    """Keeps every raw observation the env hands out, in order."""

    def __init__(self, env) -> None:
        super().__init__(env)
        self.seen: list[np.ndarray] = []

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.seen.append(np.array(obs))
        return obs, info

    def step(self, actions):
        out = self.env.step(actions)
        self.seen.append(np.array(out[0]))
        return out


def test_collector_stores_normalised_obs_scaled_rewards_and_reports_raw_returns():
    envs = RecordObs(gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync"))
    torch.manual_seed(0)
    policy = build_mlp(envs.single_observation_space, envs.single_action_space)
    T, gamma = 200, 0.99
    collector = Collector(envs, T, CPU, seed=0, obs_norm=ObsNormalizer(), reward_scale=RewardScaler(2, gamma))
    rollout, finished = collector.collect(policy, torch.Generator().manual_seed(0))
    # observations: stored = an independent normaliser fed the raw ones in order = what the policy saw
    ref = ObsNormalizer()
    expected = np.stack([ref(o) for o in envs.seen[:T]])
    np.testing.assert_array_equal(rollout.obs.numpy(), expected)
    with torch.inference_mode():
        logp, _ = policy.dist.evaluate(policy(rollout.obs.reshape(-1, 4))[0], rollout.actions.reshape(-1), None)
    torch.testing.assert_close(logp.reshape(T, 2), rollout.logprobs, rtol=0, atol=1e-6)
    # rewards: CartPole pays 1 per step; stored ones are scaled by an independent scaler
    scaler = RewardScaler(2, gamma)
    dones, valid = rollout.dones.numpy().astype(bool), rollout.valid.numpy()
    expected_r = np.stack([scaler(np.ones(2), dones[t], valid[t]) for t in range(T)])
    np.testing.assert_allclose(rollout.rewards.numpy()[valid], expected_r[valid], rtol=1e-6)
    assert not np.allclose(rollout.rewards.numpy()[valid], 1.0)
    # reported episode returns: the raw sum, i.e. the length for CartPole
    assert len(finished) >= 2
    assert all(ret == length for ret, length in finished)
    assert "obs_norm" in collector.state_dict() and collector.state_dict()["reward_scale"] is not None


# -- through training, resume and eval -------------------------------------------------------
SMALL = {"num_envs": 2, "num_steps": 32, "minibatch_size": 32, "update_epochs": 2, "tensorboard": False,
         "device": "cpu", "torch_threads": 1, "normalize_obs": True, "normalize_reward": True, "seed": 3}


def _train(env: str, run_dir, **overrides):
    from agentctl.run import TrainRequest, train

    return train(TrainRequest(env=env, overrides={**SMALL, **overrides}, run_dir=str(run_dir), quiet=True))


def assert_same(a, b, where: str = "") -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b), where
    else:
        assert a == b, where


def test_normaliser_statistics_resume_bit_exactly(tmp_path):
    n = 6  # updates; the run is split at n/2
    steps = n * 2 * 32
    _train("cartpole", tmp_path / "A", total_timesteps=steps, checkpoint_every=n // 2, keep_checkpoints=0)
    mid = [p for p in checkpoint.list_checkpoints(tmp_path / "A" / "checkpoints")
           if checkpoint.load(p)["trainer"]["update"] == n // 2]
    assert len(mid) == 1
    from agentctl.run import TrainRequest, train

    train(TrainRequest(resume=str(mid[0]), run_dir=str(tmp_path / "B"), quiet=True))
    a, b = checkpoint.load(tmp_path / "A")["trainer"], checkpoint.load(tmp_path / "B")["trainer"]
    assert a["update"] == b["update"] >= n
    assert a["collector"]["obs_norm"]["rms"]["count"] > checkpoint.load(mid[0])["trainer"]["collector"][
        "obs_norm"]["rms"]["count"]
    assert_same(a["collector"], b["collector"], "collector")
    assert_same(a["model"], b["model"], "model")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = tmp_path_factory.mktemp("norm") / "run"
    summary = _train("cartpole", run, total_timesteps=640)
    return summary["checkpoint"]


def test_eval_applies_the_checkpoints_statistics_frozen(trained, monkeypatch):
    """Every observation eval feeds the policy is the frozen normaliser applied to the raw one;
    skipping it would change the policy's action; eval twice gives one result; the file's
    statistics are untouched."""
    import agentctl.evaluate as evaluate_mod
    import agentctl.nn.policy as policy_mod
    from agentctl.assemble import load_policy

    before = checkpoint.load(trained)["trainer"]["collector"]["obs_norm"]
    first = evaluate_mod.evaluate(trained, episodes=3)
    wrapped: list[RecordObs] = []
    fed: list[np.ndarray] = []
    make_envs, act = evaluate_mod.make_envs, policy_mod.act

    def recording_make_envs(*args, **kwargs):
        wrapped.append(RecordObs(make_envs(*args, **kwargs)))
        return wrapped[-1]

    def recording_act(policy, obs, *args, **kwargs):
        fed.append(np.array(obs))
        return act(policy, obs, *args, **kwargs)

    monkeypatch.setattr(evaluate_mod, "make_envs", recording_make_envs)
    monkeypatch.setattr(policy_mod, "act", recording_act)
    second = evaluate_mod.evaluate(trained, episodes=3)
    assert first == second
    state = checkpoint.load(trained)
    assert_same(state["trainer"]["collector"]["obs_norm"], before, "obs_norm")
    norm = obs_normalizer_from(state)
    assert norm is not None and norm.frozen
    raw = wrapped[0].seen
    assert len(fed) == len(raw) - 1 > 10
    for x, r in zip(fed, raw):
        np.testing.assert_array_equal(x, norm(r))
    policy, _, _ = load_policy(state)
    with_norm = np.concatenate([act(policy, x, deterministic=True) for x in fed])
    without = np.concatenate([act(policy, r, deterministic=True) for r in raw[:-1]])
    assert (with_norm != without).any()


def test_no_statistics_without_normalisation(tmp_path):
    summary = _train("cartpole", tmp_path / "plain", total_timesteps=128, normalize_obs=False, normalize_reward=False)
    state = checkpoint.load(summary["checkpoint"])
    assert obs_normalizer_from(state) is None and state["trainer"]["collector"]["reward_scale"] is None


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["normalize_obs", "normalize_reward"])
def test_normalize_on_a_multi_env_is_one_line(key, tmp_path, monkeypatch):
    from agentctl.cli import cli
    from click.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    tiny = ["--steps", "64", "--set", "num_envs=2", "--set", "num_steps=16", "--set", "minibatch_size=16",
            "--set", "tensorboard=false", "--set", "env_kwargs.board_size=5"]  # a broken check fails fast
    res = CliRunner().invoke(cli, ["train", "--env", "go", *tiny, "--set", f"{key}=true", "--run-dir", str(tmp_path / "r")])
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip() and not ln.startswith("agentctl: skipped plugin")]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "single-agent" in lines[0] and "go" in lines[0]
    assert not (tmp_path / "r").exists()


def test_clip_ranges_are_checked():
    from agentctl.config import resolve

    with pytest.raises(UserError, match="clip_obs must be > 0"):
        resolve({"clip_obs": 0.0})
    with pytest.raises(UserError, match="clip_reward"):
        resolve({"clip_reward": -1.0})


def test_resume_with_normalisation_switched_is_refused(trained, tmp_path):
    from agentctl.run import TrainRequest, train

    with pytest.raises(UserError, match="normalize_obs"):
        train(TrainRequest(resume=trained, overrides={"normalize_obs": False, "total_timesteps": 10_000},
                           run_dir=str(tmp_path / "C"), quiet=True))


def test_normalize_with_ray_workers_is_refused():
    """Ray workers run their own collectors: the statistics would not be applied; refuse it."""
    from agentctl.assemble import default_registry
    from agentctl.run import TrainRequest, plan

    with pytest.raises(UserError, match="--backend ray"):
        plan(TrainRequest(env="cartpole", overrides={"normalize_obs": True}, workers=object()), default_registry(None))
    plan(TrainRequest(env="cartpole", workers=object()), default_registry(None))  # without it: fine


def test_statistics_survive_a_resume_whose_envs_restart(monkeypatch):
    """Envs that cannot be pickled restart from reset on resume; the normalisers' statistics
    (part of the collector's state) still carry on, not from scratch."""
    import warnings

    from agentctl.config import PPOConfig
    from agentctl.ppo.trainer import Trainer
    from gymnasium.vector import SyncVectorEnv

    def make() -> Trainer:
        envs = SyncVectorEnv([lambda: gym.make("CartPole-v1") for _ in range(2)])  # lambdas: not picklable
        cfg = PPOConfig(num_envs=2, num_steps=16, minibatch_size=16, total_timesteps=1000,
                        normalize_obs=True, normalize_reward=True)
        return Trainer(cfg, envs, build_mlp(envs.single_observation_space, envs.single_action_space),
                       torch.device("cpu"))

    first = make()
    for _ in range(3):
        first.step()
    state = first.state_dict()
    assert state["envs"] is None
    second = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        second.load_state_dict(state)
    saved = state["collector"]
    assert_same(second.collector.obs_norm.state_dict(), saved["obs_norm"])
    assert_same(second.collector.reward_scale.state_dict(), saved["reward_scale"])
