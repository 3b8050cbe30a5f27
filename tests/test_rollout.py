"""The collector against tiny scripted envs whose every episode is known in advance.

Gymnasium 1.x NEXT_STEP autoreset: the step that ends an episode returns its final
observation; the next step ignores the action and returns the reset observation. That reset
step must be marked invalid: not counted in env_steps, episode lengths or returns.
"""

from __future__ import annotations

import pickle
from functools import partial

import gymnasium as gym
import numpy as np
import pytest
import torch
from agentctl.config import PPOConfig
from agentctl.errors import UserError
from agentctl.nn.distributions import ActionDist
from agentctl.nn.mlp import build_mlp
from agentctl.nn.policy import ActorCritic
from agentctl.ppo.rollout import Collector, inner_space
from agentctl.ppo.trainer import Trainer
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorWrapper
from torch import nn

CPU = torch.device("cpu")


class ScriptedEnv(gym.Env):
    """Episode k lasts ``lengths[k % len(lengths)]`` steps, reward ``reward`` per step, and ends
    by truncation (``truncate``) or termination. Observation: [t in episode, episode k, env id]."""

    def __init__(self, env_id: int, lengths: list[int], reward: float, truncate: bool) -> None:
        self.env_id, self.lengths, self.reward, self.truncate = env_id, lengths, reward, truncate
        self.observation_space = spaces.Box(-np.inf, np.inf, (3,), np.float32)
        self.action_space = spaces.Discrete(2)
        self.k = -1
        self.t = 0

    def _obs(self) -> np.ndarray:
        return np.array([self.t, self.k, self.env_id], dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.k += 1
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        end = self.t == self.lengths[self.k % len(self.lengths)]
        assert self.t <= self.lengths[self.k % len(self.lengths)], "stepped past the episode end"
        return self._obs(), self.reward, end and not self.truncate, end and self.truncate, {}


class JunkRewardOnReset(VectorWrapper):
    """Reports a garbage reward on the autoreset step (which the collector must ignore)."""

    JUNK = 1000.0

    def __init__(self, env):
        super().__init__(env)
        self.prev_done = np.zeros(env.num_envs, dtype=bool)

    def step(self, actions):
        obs, rew, term, trunc, info = self.env.step(actions)
        rew = rew + self.JUNK * self.prev_done
        self.prev_done = np.logical_or(term, trunc)
        return obs, rew, term, trunc, info


SCRIPT = [  # (episode lengths, reward per step, truncate)
    ([3], 0.5, True),
    ([7, 2], 1.0, False),
    ([1], 1.5, True),      # every valid step ends an episode
    ([12], 2.0, False),    # spans several rollouts
    ([4, 6, 5], 2.5, True),
]


def make_envs(junk: bool = False):
    envs = SyncVectorEnv([partial(ScriptedEnv, i, *s) for i, s in enumerate(SCRIPT)])  # picklable
    return JunkRewardOnReset(envs) if junk else envs


def expected_timeline(total: int):
    """Independent per-env schedule: what every step of every env should look like."""
    n = len(SCRIPT)
    valid = np.zeros((total, n), bool)
    term = np.zeros((total, n), bool)
    trunc = np.zeros((total, n), bool)
    t_before = np.zeros((total, n))
    t_after = np.zeros((total, n))
    finished = []  # (step, env, return, length)
    for i, (lengths, reward, truncate) in enumerate(SCRIPT):
        s, k = 0, 0
        while s < total:
            length = lengths[k % len(lengths)]
            for t in range(length):
                if s >= total:
                    break
                valid[s, i] = True
                t_before[s, i], t_after[s, i] = t, t + 1
                if t == length - 1:
                    (trunc if truncate else term)[s, i] = True
                    finished.append((s, i, reward * length, length))
                s += 1
            if s < total:  # the reset step: obs before = final obs, after = reset obs
                t_before[s, i], t_after[s, i] = length, 0
                s += 1
            k += 1
    finished.sort()
    return valid, term, trunc, t_before, t_after, finished


class ValueIsObs0(ActorCritic):
    """Uniform policy whose value is the first observation entry (t in the episode)."""

    def __init__(self, n: int = 2) -> None:
        super().__init__()
        self.dist = ActionDist([n])
        self.bias = nn.Parameter(torch.zeros(n))

    def forward(self, obs):
        return self.bias.expand(obs.shape[0], -1), obs[:, 0] * 1.0


@pytest.mark.parametrize("junk", [False, True], ids=["plain", "junk_reset_reward"])
def test_collector_episodes_and_autoreset(junk):
    T, calls = 5, 6
    valid, term, trunc, t_before, t_after, finished = expected_timeline(T * calls)
    collector = Collector(make_envs(junk), T, CPU, seed=0)
    policy = ValueIsObs0()
    gen = torch.Generator().manual_seed(0)
    reward_per_step = np.array([s[1] for s in SCRIPT])
    all_finished = []
    for c in range(calls):
        sl = slice(c * T, (c + 1) * T)
        rollout, got = collector.collect(policy, gen)
        want = [(ret, length) for s, _, ret, length in finished if sl.start <= s < sl.stop]
        assert got == want, f"rollout {c}"
        all_finished += got
        np.testing.assert_array_equal(rollout.valid.numpy(), valid[sl])
        assert rollout.env_steps == int(valid[sl].sum()) < T * len(SCRIPT)
        np.testing.assert_array_equal(rollout.terminated.numpy(), term[sl].astype(np.float32))
        np.testing.assert_array_equal(rollout.dones.numpy(), (term | trunc)[sl].astype(np.float32))
        # observations/values line up with the step they were taken at
        np.testing.assert_array_equal(rollout.obs[..., 0].numpy(), t_before[sl])
        np.testing.assert_array_equal(rollout.values.numpy(), t_before[sl])
        # V(s'_t): the final observation's value at an episode end (truncated or not),
        # the reset observation's value (0) after a reset step, carried across rollouts
        np.testing.assert_array_equal(rollout.next_values.numpy(), t_after[sl])
        ends = (term | trunc)[sl]
        assert np.all(rollout.next_values.numpy()[trunc[sl]] > 0)
        assert ends.any()
        # rewards on valid steps are the env's; whatever the reset step reports is not counted
        r = rollout.rewards.numpy()
        np.testing.assert_allclose(np.where(valid[sl], r, 0), valid[sl] * reward_per_step)
        assert rollout.actions.shape == (T, len(SCRIPT)) and rollout.logprobs.shape == (T, len(SCRIPT))
        np.testing.assert_allclose(rollout.logprobs.numpy(), np.log(0.5), rtol=1e-6)
    # every env's episodes, in order, with the scripted lengths and returns
    for i, (lengths, reward, _) in enumerate(SCRIPT):
        lens = [length for s, e, _, length in finished if e == i]
        assert lens == [lengths[k % len(lengths)] for k in range(len(lens))]
    assert len(all_finished) == len(finished) > 20


def test_truncated_final_value_bootstraps():
    """Hand check on env 0 (length 3, truncated): the end step's next value is V(final) = 3,
    the reset step's stored obs is that final obs, and its next value is V(reset obs) = 0."""
    collector = Collector(make_envs(), 8, CPU, seed=0)
    rollout, _ = collector.collect(ValueIsObs0(), torch.Generator().manual_seed(0))
    col = 0
    assert rollout.dones[:, col].tolist() == [0, 0, 1, 0, 0, 0, 1, 0]
    assert rollout.terminated[:, col].tolist() == [0] * 8
    assert rollout.next_values[:, col].tolist() == [1, 2, 3, 0, 1, 2, 3, 0]
    assert rollout.valid[:, col].tolist() == [True, True, True, False, True, True, True, False]
    assert rollout.obs[3, col, 0].item() == 3.0  # reset step holds the final observation


def test_collector_state_round_trip_is_exact():
    """What the trainer checkpoints (pickled envs + collector state) continues identically."""
    policy, T = ValueIsObs0(), 5
    a = Collector(make_envs(), T, CPU, seed=0)
    gen = torch.Generator().manual_seed(1)
    a.collect(policy, gen)
    a.collect(policy, gen)
    env_blob, state, gen_state = pickle.dumps(a.envs), a.state_dict(), gen.get_state()

    b = Collector(make_envs(), T, CPU, seed=0)
    b.envs = pickle.loads(env_blob)
    b.load_state_dict(state)
    gen_b = torch.Generator().manual_seed(999)
    gen_b.set_state(gen_state)
    for _ in range(3):
        ra, fa = a.collect(policy, gen)
        rb, fb = b.collect(policy, gen_b)
        assert fa == fb
        for name in ("obs", "actions", "valid", "next_values", "rewards", "dones"):
            assert torch.equal(getattr(ra, name), getattr(rb, name)), name


def test_same_step_autoreset_refused():
    envs = SyncVectorEnv([lambda: ScriptedEnv(0, [3], 1.0, True)], autoreset_mode=AutoresetMode.SAME_STEP)
    with pytest.raises(UserError, match="NEXT_STEP"):
        Collector(envs, 4, CPU, seed=0)


# -- action masks --------------------------------------------------------------------------

N_ACTIONS = 6


class MaskedEnv(gym.Env):
    """Dict obs {observation, action_mask}; the observation *is* the mask (as floats), a random
    subset of actions is legal each step, episodes last 3..9 steps. Counts illegal actions."""

    def __init__(self) -> None:
        self.observation_space = spaces.Dict({
            "observation": spaces.Box(0.0, 1.0, (N_ACTIONS,), np.float32),
            "action_mask": spaces.MultiBinary(N_ACTIONS),
        })
        self.action_space = spaces.Discrete(N_ACTIONS)
        self.illegal = 0
        self.legal = 0

    def _new_mask(self):
        mask = self.np_random.random(N_ACTIONS) < 0.3
        mask[self.np_random.integers(N_ACTIONS)] = True
        self.mask = mask.astype(np.int8)
        return {"observation": self.mask.astype(np.float32), "action_mask": self.mask.copy()}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t, self.length = 0, int(self.np_random.integers(3, 10))
        return self._new_mask(), {}

    def step(self, action):
        ok = bool(self.mask[int(action)])
        self.legal += ok
        self.illegal += not ok
        self.t += 1
        return self._new_mask(), float(ok), self.t >= self.length, False, {}


class PrefersIllegal(ActorCritic):
    """Puts almost all probability mass on the illegal actions (obs = mask)."""

    def __init__(self) -> None:
        super().__init__()
        self.dist = ActionDist([N_ACTIONS])
        self.scale = nn.Parameter(torch.tensor(30.0))

    def forward(self, obs):
        return self.scale * (1.0 - obs), torch.zeros(obs.shape[0])


def _masked_envs(n=8):
    return SyncVectorEnv([MaskedEnv for _ in range(n)])


def _illegal(envs) -> tuple[int, int]:
    return sum(e.illegal for e in envs.envs), sum(e.legal for e in envs.envs)


def test_masked_actions_never_illegal():
    envs = _masked_envs()
    collector = Collector(envs, 64, CPU, seed=3)
    gen = torch.Generator().manual_seed(3)
    for _ in range(4):
        rollout, _ = collector.collect(PrefersIllegal(), gen)
        assert rollout.masks is not None and rollout.masks.dtype == torch.bool
        chosen = rollout.masks.gather(-1, rollout.actions.unsqueeze(-1)).squeeze(-1)
        assert chosen.all(), "an illegal action was sampled"
        assert torch.isfinite(rollout.logprobs).all()
        np.testing.assert_array_equal(rollout.obs.numpy(), rollout.masks.float().numpy())
    illegal, legal = _illegal(envs)
    assert illegal == 0 and legal > 1500


def test_masked_training_stays_legal_and_finite():
    envs = _masked_envs(4)
    torch.manual_seed(0)
    policy = build_mlp(inner_space(envs.single_observation_space), envs.single_action_space)
    cfg = PPOConfig(num_envs=4, num_steps=32, minibatch_size=32, update_epochs=2, total_timesteps=4 * 128,
                    ent_coef=0.01, seed=0)
    trainer = Trainer(cfg, envs, policy, CPU)
    for _ in range(4):
        metrics = trainer.step()
        assert np.isfinite(metrics["loss"]) and np.isfinite(metrics["entropy"])
    assert trainer.params_finite()
    illegal, legal = _illegal(envs)
    assert illegal == 0 and legal == trainer.global_step


class TargetsAtEpisodeEnd(VectorWrapper):
    """Announces, when an env's episode ends, one target per step of it: the step's observed t
    (so each transition's label says which transition it belongs to)."""

    def __init__(self, env, targeted: bool) -> None:
        super().__init__(env)
        self.targeted = targeted
        self.seen = [[] for _ in range(env.num_envs)]

    def step(self, actions):
        obs, reward, term, trunc, info = self.env.step(actions)
        info = dict(info)
        done = np.logical_or(term, trunc)
        targets = {}
        for i in range(self.num_envs):
            self.seen[i].append(float(obs[i, 0]))
            if done[i]:
                targets[i] = {"t": [[t] for t in self.seen[i]]}
                self.seen[i] = [float("nan")]  # the reset step, whose obs is not a transition of it
        if targets:
            info["aux_targets"] = targets
        return obs, reward, term, trunc, info


@pytest.mark.parametrize("targeted", [True, False])
def test_auxiliary_targets_label_their_transitions(targeted):
    envs = SyncVectorEnv([partial(ScriptedEnv, i, [3, 4], 0.0, False) for i in range(2)])
    envs = TargetsAtEpisodeEnd(envs, targeted)
    collector = Collector(envs, 12, CPU, seed=0)
    policy = build_mlp(inner_space(envs.single_observation_space), envs.single_action_space)
    rollout, _ = collector.collect(policy, torch.Generator().manual_seed(0))
    if not targeted:  # an env that does not say it sends targets is not searched for them
        assert rollout.aux is None
        return
    labelled = rollout.aux_valid
    assert labelled.any() and not (labelled & ~rollout.valid).any()
    # every labelled transition got the target of its own step: the t after its action (obs t + 1)
    t_obs = rollout.obs[..., 0]
    assert torch.equal(rollout.aux["t"][..., 0][labelled], (t_obs + 1)[labelled])
    # every valid transition of an episode that ended within the rollout is labelled
    ended_rows = rollout.valid & ~labelled
    for i in range(2):
        last_end = int(rollout.dones[:, i].nonzero().max())
        assert not ended_rows[: last_end + 1, i].any()
