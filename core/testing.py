"""Checks for plugin authors: what ``agentctl check-plugin NAME`` runs, importable for pytest.

``check_plugin(name)`` loads the installed plugins, finds the one with entry-point name
``name`` and runs, per env it registers: spec validation, the env API checks (Gymnasium's
``check_env`` / the vector-env basics for ``single``; the ``TurnBasedGames`` contract of
:mod:`agentctl.contracts` and PettingZoo's ``api_test`` on the ``reference_env`` for
``multi``; for ``sequence`` the ``SequenceTask`` its factory returns, its reward spec scoring
dummy completions, and the language-model policy tokenizing every prompt and generating), the
default policy build, every opponent and reward it registers, and a short training run
(``smoke_steps``: env steps, or generated tokens for ``sequence``). It returns a
:class:`Report`: one line per check, PASS / FAIL / SKIP with the reason.

In a plugin's own test suite::

    from agentctl.testing import assert_plugin_ok

    def test_plugin():
        assert_plugin_ok("myplugin")

The building blocks (``check_env_spec``, ``check_vector_env``, ``check_gym_env``,
``check_games``, ``check_aec_env``, ``check_games_match_aec``, ``check_policy``,
``check_opponent``, ``check_sequence_task``, ``check_reward_spec``, ``check_reward``,
``check_token_policy``, ``smoke_train``) raise ``AssertionError`` with a clear message, so
they work as plain pytest assertions too. Heavy imports (torch, gymnasium, pettingzoo) happen
inside the functions.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from agentctl.errors import Unavailable, UserError
from agentctl.host import PluginHost, PluginInfo, get_host
from agentctl.registry import EnvSpec, Registry

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


class SkipCheck(Exception):
    """Raised by a check that does not apply (reported as SKIP with the reason)."""


@dataclass
class Check:
    name: str
    status: str
    detail: str = ""
    trace: str = ""


@dataclass
class Report:
    plugin: str
    header: str = ""
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.status != FAIL for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    def format(self, traces: bool = False) -> str:
        width = max((len(c.name) for c in self.checks), default=10)
        lines = [self.header or f"plugin {self.plugin!r}"]
        for c in self.checks:
            lines.append(f"{c.status}  {c.name:<{width}}  {c.detail}".rstrip())
            if traces and c.trace:
                lines.append("      " + c.trace.rstrip().replace("\n", "\n      "))
        counts = {s: sum(c.status == s for c in self.checks) for s in (PASS, FAIL, SKIP)}
        verdict = "PASS" if self.ok else "FAIL"
        lines.append(f"result: {verdict} ({counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "ok": self.ok,
                "checks": [{"name": c.name, "status": c.status, "detail": c.detail} for c in self.checks]}

    def run(self, name: str, fn: Callable[[], Any]) -> bool:
        """Run one check; its return value (a string) is the PASS detail."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                detail = fn()
            self.checks.append(Check(name, PASS, str(detail or "")))
            return True
        except SkipCheck as exc:
            self.checks.append(Check(name, SKIP, str(exc)))
            return True
        except Exception as exc:  # a check failing must not stop the others
            msg = str(exc).strip().splitlines()
            reason = f"{type(exc).__name__}: {msg[0] if msg else ''}" if not isinstance(exc, AssertionError) \
                else (msg[0] if msg else "assertion failed")
            self.checks.append(Check(name, FAIL, reason, traceback.format_exc()))
            return False


# -- specs ---------------------------------------------------------------------------------
def check_env_spec(spec: EnvSpec, registry: Registry) -> str:
    """The spec's entry points import, its default config resolves, its policy and the
    opponents its config names exist."""
    from agentctl.config import resolve
    from agentctl.registry import load_entry_point

    try:
        fn = load_entry_point(spec.entry_point)
    except UserError as exc:
        raise AssertionError(f"entry point: {exc}") from None
    assert callable(fn), f"entry point {spec.entry_point!r} is not callable"
    if spec.reference_env is not None:
        try:
            ref = load_entry_point(spec.reference_env)
        except UserError as exc:
            raise AssertionError(f"reference_env: {exc}") from None
        assert callable(ref), f"reference_env {spec.reference_env!r} is not callable"
    try:
        cfg = resolve(spec.default_config)
    except UserError as exc:
        raise AssertionError(f"default_config: {exc}") from None
    policy = cfg.policy or spec.policy
    try:
        registry.resolve("policy", policy)
    except UserError as exc:
        raise AssertionError(f"default policy: {exc}") from None
    if spec.kind == "multi":
        for name in cfg.opponents:
            if name in ("latest", "snapshot", "random"):
                continue
            try:
                opp = registry.resolve("opponent", name.partition(":")[0])
            except UserError as exc:
                raise AssertionError(f"default_config opponents: {exc}") from None
            assert opp.env in ("*", spec.name, spec.qualified_name), \
                f"default_config opponent {name!r} plays {opp.env!r}, not {spec.name!r}"
    return f"kind {spec.kind}, policy {policy}, {len(spec.default_config)} config overrides"


# -- single-agent envs -----------------------------------------------------------------
def _random_actions(space: Any, mask: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    if mask is not None:
        from agentctl.games import random_actions

        return random_actions(space, mask, rng)
    space.seed(int(rng.integers(2**31)))
    return space.sample()


def check_vector_env(envs: Any, steps: int = 100, seed: int = 0) -> str:
    """A Gymnasium VectorEnv with NEXT_STEP autoreset, observations in its space, right shapes."""
    import gymnasium as gym
    from agentctl.ppo.rollout import check_autoreset, split_obs

    assert isinstance(envs, gym.vector.VectorEnv), \
        f"kind 'single' must return a gymnasium.vector.VectorEnv, got {type(envs).__name__}"
    try:
        check_autoreset(envs)
    except UserError as exc:
        raise AssertionError(str(exc)) from None
    n = envs.num_envs
    obs, _ = envs.reset(seed=seed)
    assert envs.observation_space.contains(obs), "reset() observation is outside observation_space"
    rng = np.random.default_rng(seed)
    episodes = 0
    for _ in range(steps):
        _, mask = split_obs(obs)
        obs, reward, term, trunc, _ = envs.step(_random_actions(envs.action_space, mask, rng))
        assert envs.observation_space.contains(obs), "step() observation is outside observation_space"
        for what, arr in (("reward", reward), ("terminated", term), ("truncated", trunc)):
            assert np.shape(arr) == (n,), f"step() {what} has shape {np.shape(arr)}, expected ({n},)"
        assert np.all(np.isfinite(reward)), "step() returned a non-finite reward"
        episodes += int(np.sum(np.logical_or(term, trunc)))
    return f"VectorEnv of {n}, {steps} random steps, {episodes} episodes ended"


def check_gym_env(env: Any) -> str:
    """Gymnasium's own ``check_env`` on one unbatched env."""
    from gymnasium.utils.env_checker import check_env

    check_env(env, skip_render_check=True)
    return f"gymnasium check_env passed ({type(env).__name__})"


# -- multi-agent envs ------------------------------------------------------------------
def check_games(games: Any, max_moves: int = 10_000, seed: int = 0) -> str:
    """The ``TurnBasedGames`` contract (:mod:`agentctl.contracts`), by random play until every
    game has ended: shapes, a legal move in every live game, ``observe()`` a pure read, inactive
    games untouched, outcomes in {-1, 0, 1}, ``reset_games`` restarting only the given games,
    and for a ``FramedGames`` wrapper, ``to_frame`` mapping legal moves onto legal moves.

    "Untouched" is judged on the real games: a ``FramedGames`` may show an inactive game
    through a new frame next turn (the frame is a view, not the game)."""
    import gymnasium as gym
    from agentctl.contracts import FramedGames, TurnBasedGames
    from agentctl.games import SimultaneousTurns, component_sizes

    simultaneous = ""
    if isinstance(games, SimultaneousTurns):
        simultaneous = check_simultaneous_games(games.games, seed=seed) + "; as turns: "
    assert isinstance(games, TurnBasedGames), \
        f"kind 'multi' must return agentctl.contracts.TurnBasedGames, got {type(games).__name__}"
    assert isinstance(games.action_space, (gym.spaces.Discrete, gym.spaces.MultiDiscrete)), \
        f"action_space must be gymnasium Discrete or MultiDiscrete, got {games.action_space}"
    assert isinstance(games.observation_space, gym.spaces.Box), \
        f"observation_space must be a gymnasium Box, got {games.observation_space}"
    framed = isinstance(games, FramedGames)
    real = games
    while isinstance(real, FramedGames):
        real = real.games
    b, a, shape = games.num_games, sum(component_sizes(games.action_space)), games.observation_space.shape
    games.reset(seed=seed)
    rng = np.random.default_rng(seed)
    ended = np.zeros(b, dtype=bool)
    outcomes: list[float] = []
    for move in range(max_moves):
        done = np.asarray(games.done(), dtype=bool)
        to_play = np.asarray(games.to_play())
        assert done.shape == (b,) and to_play.shape == (b,), "done()/to_play() must have shape [num_games]"
        assert np.isin(to_play, (0, 1)).all(), f"to_play() must be 0 or 1, got {np.unique(to_play)}"
        if move == 0:
            assert not done.any(), "games are done right after reset()"
        for i in np.flatnonzero(done & ~ended):
            ended[i] = True
            outcomes.append(float(games.outcome()[i]))
        if ended.all():
            break
        obs, mask = games.observe()
        assert np.shape(obs) == (b, *shape), f"observe() observations {np.shape(obs)}, expected {(b, *shape)}"
        assert np.shape(mask) == (b, a), f"observe() masks {np.shape(mask)}, expected {(b, a)}"
        again = games.observe()
        assert np.array_equal(obs, again[0]) and np.array_equal(mask, again[1]), \
            "observe() changed the games: a second call (no step between) returned different arrays"
        mask = np.asarray(mask, dtype=bool)
        assert np.all(np.isfinite(obs)), "observe() returned non-finite observations"
        live = ~ended
        assert mask[live].any(axis=1).all(), "a game that is not done has no legal action"
        if framed and move % 5 == 0:
            _check_to_frame(games, mask, np.flatnonzero(live))
        active = live.copy()
        active[0] = active[0] and move % 3 != 2  # game 0 sometimes sits out: must stay unchanged
        before = _position(real, 0)
        games.step(_random_actions(games.action_space, mask, rng), active)
        if not active[0] and not ended[0]:
            assert all(np.array_equal(x, y) for x, y in zip(_position(real, 0), before)), \
                "step() changed a game that was not active"
    else:
        raise AssertionError(f"games did not end within {max_moves} random moves")
    assert set(outcomes) <= {-1.0, 0.0, 1.0}, f"outcome() must be +1/-1/0, got {sorted(set(outcomes))}"
    games.reset_games(np.array([0]))
    done = np.asarray(games.done(), dtype=bool)
    assert not done[0], "reset_games([0]) did not restart game 0"
    assert done[1:].all(), "reset_games([0]) touched other games"
    return f"{simultaneous}{b} games played to the end by random moves (outcomes {sorted(set(outcomes))}), reset_games ok"


def check_simultaneous_games(games: Any, max_steps: int = 5000, seed: int = 0) -> str:
    """The ``SimultaneousGames`` contract itself, by random play of both seats until every game
    has ended: both seats' views have the declared shapes, ``observe(seat)`` is a pure read, a
    live game gives each seat a legal action, only active games change, outcomes are +1/-1/0,
    ``step_rewards()`` (when present) is finite [B, 2] and 0 for games not stepped."""
    import gymnasium as gym
    from agentctl.contracts import SimultaneousGames
    from agentctl.games import component_sizes, random_actions

    assert isinstance(games, SimultaneousGames), f"not SimultaneousGames: {type(games).__name__}"
    assert isinstance(games.action_space, (gym.spaces.Discrete, gym.spaces.MultiDiscrete)), \
        f"action_space must be gymnasium Discrete or 1-D MultiDiscrete, got {games.action_space}"
    b, a, shape = games.num_games, sum(component_sizes(games.action_space)), games.observation_space.shape
    games.reset(seed=seed)
    rng = np.random.default_rng(seed)
    step_rewards = getattr(games, "step_rewards", None)
    ended = np.zeros(b, dtype=bool)
    outcomes: set[float] = set()
    for t in range(max_steps):
        done = np.asarray(games.done(), dtype=bool)
        assert done.shape == (b,), f"done() has shape {done.shape}, expected ({b},)"
        if t == 0:
            assert not done.any(), "games are done right after reset()"
        for i in np.flatnonzero(done & ~ended):
            ended[i] = True
            outcomes.add(float(games.outcome()[i]))
        if ended.all():
            break
        views = []
        for seat in (0, 1):
            obs, mask = games.observe(seat)
            assert np.shape(obs) == (b, *shape), f"observe({seat}) observations {np.shape(obs)}, expected {(b, *shape)}"
            assert np.shape(mask) == (b, a), f"observe({seat}) masks {np.shape(mask)}, expected {(b, a)}"
            again = games.observe(seat)
            assert np.array_equal(obs, again[0]) and np.array_equal(mask, again[1]), \
                f"observe({seat}) changed the games: a second call returned different arrays"
            mask = np.asarray(mask, dtype=bool)
            assert mask[~ended].any(axis=1).all(), f"a game that is not done has no legal action for seat {seat}"
            views.append((np.array(obs[0], copy=True), mask))
        active = ~ended
        active[0] = active[0] and t % 3 != 2  # game 0 sometimes sits out: must stay unchanged
        games.step(random_actions(games.action_space, views[0][1], rng),
                   random_actions(games.action_space, views[1][1], rng), active)
        if step_rewards is not None:
            r = np.asarray(step_rewards())
            assert r.shape == (b, 2) and np.isfinite(r).all(), f"step_rewards() must be finite [{b}, 2], got {r.shape}"
            assert not r[~active].any(), "step_rewards() gave a reward to a game that was not stepped"
        if not active[0] and not ended[0]:
            assert np.array_equal(games.observe(0)[0][0], views[0][0]), "step() changed a game that was not active"
    else:
        raise AssertionError(f"games did not end within {max_steps} random steps")
    assert outcomes <= {-1.0, 0.0, 1.0}, f"outcome() must be +1/-1/0, got {sorted(outcomes)}"
    return f"simultaneous: {b} games played to the end by random moves of both seats (outcomes {sorted(outcomes)})"


def _position(games: Any, i: int) -> tuple[np.ndarray, ...]:
    """What game ``i`` looks like to its mover: observation, mask, seat to move, done."""
    obs, mask = games.observe()
    return (np.array(obs[i], copy=True), np.array(mask[i], copy=True),
            np.asarray(games.to_play())[i], np.asarray(games.done())[i])


def _check_to_frame(games: Any, mask: np.ndarray, index: np.ndarray) -> None:
    """A FramedGames's ``to_frame`` maps each game's real legal moves onto its shown legal moves."""
    real_mask = np.asarray(games.games.observe()[1], dtype=bool)
    for i in index:
        real_legal = np.flatnonzero(real_mask[i])
        shown = np.asarray(games.to_frame(np.full(real_legal.size, i), real_legal))
        assert np.array_equal(np.sort(shown), np.flatnonzero(mask[i])), \
            f"to_frame() does not map game {i}'s legal real-board moves onto the legal moves it shows"


def check_aec_env(env: Any, num_cycles: int = 300) -> str:
    """PettingZoo's ``api_test`` on an AEC env (its printout is captured)."""
    from pettingzoo.test import api_test

    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # api_test's style hints (e.g. "observation is all zeros")
        api_test(env, num_cycles=num_cycles)
    return f"pettingzoo api_test passed ({type(env).__name__})"


def check_parallel_env(env: Any, num_cycles: int = 300) -> str:
    """PettingZoo's ``parallel_api_test`` on a ParallelEnv (simultaneous-move games)."""
    from pettingzoo.test import parallel_api_test

    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parallel_api_test(env, num_cycles=num_cycles)
    return f"pettingzoo parallel_api_test passed ({type(env).__name__})"


def check_games_match_aec(games: Any, make_aec: Callable[[], Any], num_moves: int = 400,
                          seed: int = 0, compare_obs: bool = True) -> int:
    """Play the same random moves in the batched games and in one AEC env per game; the
    player to move, legal masks, observations (``compare_obs``), game ends and outcomes must
    agree move by move. Returns the number of finished games compared."""
    games.reset(seed=seed)
    b = games.num_games
    aecs = [make_aec() for _ in range(b)]
    for e in aecs:
        e.reset(seed=seed)
    agents = list(aecs[0].possible_agents)
    rng = np.random.default_rng(seed)
    finished = 0
    for _ in range(num_moves):
        obs, mask = games.observe()
        to_play = games.to_play()
        for i, e in enumerate(aecs):
            o = e.observe(e.agent_selection)
            assert agents.index(e.agent_selection) == to_play[i], f"game {i}: player to move differs"
            assert np.array_equal(np.asarray(o["action_mask"], dtype=bool), np.asarray(mask[i], dtype=bool)), \
                f"game {i}: legal masks differ"
            if compare_obs:
                assert np.array_equal(np.asarray(o["observation"], dtype=np.float32),
                                      np.asarray(obs[i], dtype=np.float32)), f"game {i}: observations differ"
        actions = _random_actions(games.action_space, mask, rng)
        games.step(actions, np.ones(b, dtype=bool))
        done, outcome = games.done(), games.outcome()
        for i, e in enumerate(aecs):
            e.step(int(actions[i]))
            over = all(e.terminations.values()) or all(e.truncations.values())
            assert bool(done[i]) == over, f"game {i}: done() {bool(done[i])}, AEC env over {over}"
            if over:
                r0 = float(e._cumulative_rewards[agents[0]])
                assert np.sign(r0) == outcome[i], f"game {i}: outcome {outcome[i]}, AEC reward {r0}"
                finished += 1
                e.reset(seed=seed)
        if done.any():
            games.reset_games(np.flatnonzero(done))
    return finished


# -- sequence envs (text tasks) -------------------------------------------------------------
# Completions a reward must score without failing: real ones are often empty (EOS first),
# whitespace, or any bytes the model likes.
DUMMY_RESPONSES = ("", " ", "7", "What a great day!", "A longer completion, with punctuation!\n", "naïve café ✓ 42")
DUMMY_PROMPTS = ("", "Once upon a time", "2+2=")


def check_sequence_task(task: Any, samples: int = 64) -> str:
    """What a ``kind="sequence"`` factory returns: an :class:`agentctl.sequences.SequenceTask`
    whose prompts are non-empty strings, whose ``sample_prompts`` draws from them, and whose
    ``state_dict`` restores the prompt order (a resumed run must see the same prompts)."""
    from agentctl.sequences import SequenceTask

    assert isinstance(task, SequenceTask), \
        f"kind 'sequence' must return agentctl.sequences.SequenceTask, got {type(task).__name__}"
    prompts = list(task.prompts)
    assert prompts, "the task has no prompts"
    for i, p in enumerate(prompts):
        assert isinstance(p, str) and p, f"prompt {i} is {p!r:.60}: every prompt must be a non-empty string"
    n = min(samples, len(prompts) + 3)
    state = task.state_dict()
    drawn = task.sample_prompts(n)
    assert len(drawn) == n, f"sample_prompts({n}) returned {len(drawn)} prompts"
    known = set(prompts)
    stray = next((p for p in drawn if p not in known), None)
    assert stray is None, f"sample_prompts() returned {stray!r:.60}, which is not one of the task's prompts"
    task.load_state_dict(state)
    assert task.sample_prompts(n) == drawn, \
        "sample_prompts() after load_state_dict(state_dict()) gave other prompts: a resumed run would too"
    return (f"SequenceTask: {len(prompts)} prompts (e.g. {prompts[0]!r:.40}), reward {task.reward!r}, "
            f"stop {tuple(task.stop)!r}")


def _score(scorer: Any, prompts: Sequence[str]) -> np.ndarray:
    """The scorer's values for DUMMY_RESPONSES paired with ``prompts`` (cycled); a reward that
    fails, returns the wrong number of values or a NaN/inf is an AssertionError naming it."""
    batch = [prompts[i % len(prompts)] for i in range(len(DUMMY_RESPONSES))]
    try:
        values = scorer(batch, list(DUMMY_RESPONSES))
    except Unavailable as exc:
        raise SkipCheck(str(exc)) from None
    except UserError as exc:
        raise AssertionError(str(exc)) from None
    assert np.shape(values) == (len(batch),) and np.isfinite(values).all(), \
        f"reward spec {scorer.spec!r} gave {values!r} for {len(batch)} completions"
    return values


def check_reward_spec(registry: Registry, spec: str, prompts: Sequence[str]) -> str:
    """A reward spec (``sentiment+0.1*length:24``, ``python:mod:fn``) resolves through the
    registry exactly as training resolves it, and scores dummy completions of ``prompts``
    to one finite float each."""
    from agentctl.text.scoring import build_scorer

    try:
        scorer = build_scorer(registry, spec)
    except Unavailable as exc:
        raise SkipCheck(str(exc)) from None
    except UserError as exc:
        raise AssertionError(str(exc)) from None
    values = _score(scorer, list(prompts))
    return f"{spec!r}: {len(values)} dummy completions scored {values.min():+.3f} to {values.max():+.3f}"


def check_reward(item: Any, prompts: Sequence[str] = DUMMY_PROMPTS, arg: str | None = None) -> str:
    """A registered reward: its factory builds with ``arg`` and the reward scores a dummy
    batch. A factory that needs an argument nobody gave is skipped (SkipCheck)."""
    from agentctl.text.scoring import Scorer, Term

    factory = item.load()
    label = item.name if arg is None else f"{item.name}:{arg}"
    try:
        fn = factory(arg)
    except Unavailable as exc:
        raise SkipCheck(str(exc)) from None
    except UserError as exc:
        if arg is None:
            raise SkipCheck(f"needs an argument ({exc}); no env of this plugin names one") from None
        raise AssertionError(f"reward {label!r}: {exc}") from None
    except Exception as exc:
        raise AssertionError(f"reward factory {label!r} raised {type(exc).__name__}: {str(exc).strip()[:200]} "
                             "(a registered reward is a factory: factory(arg) -> fn(prompts, responses))") from None
    assert callable(fn), (f"reward {label!r}: its factory returned {type(fn).__name__}, not a function "
                          "(a registered reward is a factory: factory(arg) -> fn(prompts, responses))")
    values = _score(Scorer(label, [Term(1.0, item.name, arg)], [fn]), list(prompts))
    return f"{label}: {len(values)} dummy completions scored {values.min():+.3f} to {values.max():+.3f}"


def check_token_policy(policy: Any, prompts: Sequence[str], max_new_tokens: int, seed: int = 0) -> str:
    """A language-model policy (:class:`agentctl.nn.lm.TokenPolicy`'s contract): its tokenizer
    encodes every prompt to ids inside the vocabulary, ``context_length`` leaves room for a
    prompt before ``max_new_tokens``, it samples a few tokens for the first prompts with
    finite logits and values of the right shapes, and its KV cache (``past``) gives the
    logits of a full forward pass (else rollouts sample from another distribution than PPO
    trains)."""
    import torch
    from agentctl.text.generate import complete, response_logits

    assert isinstance(policy, torch.nn.Module), f"policy builder returned {type(policy).__name__}, not a torch Module"
    tok = getattr(policy, "tokenizer", None)
    context = getattr(policy, "context_length", None)
    assert tok is not None and isinstance(context, int), \
        "a sequence env's policy needs .tokenizer and .context_length (see agentctl.nn.lm.TokenPolicy)"
    vocab = tok.vocab_size
    for attr in ("eos_id", "pad_id"):
        value = getattr(tok, attr)
        assert isinstance(value, int) and 0 <= value < vocab, f"tokenizer {attr} {value!r} is outside 0..{vocab - 1}"
    assert context > max_new_tokens, (f"context_length {context} leaves no room for a prompt before num_steps = "
                                      f"{max_new_tokens} new tokens: raise policy_kwargs.context_length or lower num_steps")
    budget = context - max_new_tokens - (getattr(tok, "bos_id", None) is not None)
    tok_name = getattr(tok, "name", type(tok).__name__)
    longest = cut = 0
    for p in prompts:
        ids = tok.encode(p)
        assert all(isinstance(i, int) and 0 <= i < vocab for i in ids), \
            f"tokenizer {tok_name}: prompt {p!r:.40} encodes to ids outside 0..{vocab - 1}"
        longest, cut = max(longest, len(ids)), cut + (len(ids) > budget)
    n = min(max_new_tokens, 4)
    few = list(prompts[:4])
    was_training = policy.training
    policy.eval()
    try:
        with torch.no_grad():
            gen, texts = complete(policy, few, n, generator=torch.Generator().manual_seed(seed))
            logits, values = response_logits(policy, gen.query, gen.query_mask, gen.response, gen.response_mask)
            B, T = gen.response.shape
            assert logits.shape == (B, T, vocab), f"logits shape {tuple(logits.shape)}, expected {(B, T, vocab)}"
            assert values.shape == (B, T), f"values shape {tuple(values.shape)}, expected {(B, T)}"
            real = gen.response_mask.bool()
            assert torch.isfinite(logits[real]).all() and torch.isfinite(values[real]).all(), \
                "non-finite logits or values on real tokens"
            if T >= 2:  # token 1's logits, from the cache of the prompt + token 0, vs the full pass
                mask = gen.query_mask
                pos = (mask.cumsum(1) - 1).clamp(min=0)
                _, _, past = policy(gen.query, mask, pos)
                step, _, _ = policy(gen.response[:, :1], torch.cat([mask, torch.ones_like(mask[:, :1])], 1),
                                    pos[:, -1:] + 1, past)
                gap = float((step[:, 0].float() - logits[:, 1]).abs().max())
                assert gap < 1e-3 * (1 + float(logits[:, 1].abs().max())), \
                    (f"the KV-cache path (past=...) gives other logits than a full forward pass (max difference "
                     f"{gap:.3g}): rollouts would sample from another distribution than PPO trains")
    finally:
        policy.train(was_training)
    assert len(texts) == len(few) and all(isinstance(t, str) for t in texts), "generation did not decode to text"
    params = sum(p.numel() for p in policy.parameters())
    truncated = f", {cut} cut to their last {budget} tokens" if cut else ""
    return (f"{params:,} parameters, tokenizer {tok_name} (vocab {vocab}); {len(prompts)} prompts tokenized "
            f"(longest {longest} tokens{truncated}); sampled {few[0]!r:.30} -> {texts[0]!r:.30}")


def _check_sequence_env(report: Report, spec: EnvSpec, registry: Registry, used: dict[str, Any]) -> None:
    """The task, its reward spec and its policy; records in ``used`` which registered rewards
    the task's spec names (qualified name -> (arg, prompts)) for the rewards' own checks."""
    from agentctl.assemble import build_policy, make_envs
    from agentctl.config import resolve
    from agentctl.text.scoring import PYTHON, parse_spec

    label = f"env {spec.name}"
    made: dict[str, Any] = {}

    def task() -> str:
        cfg = resolve(spec.default_config)
        try:
            first, second = (make_envs(spec, cfg, num_envs=4, seed=0) for _ in range(2))
        except UserError as exc:
            raise AssertionError(str(exc)) from None
        n = min(16, len(first.prompts) + 1)
        assert first.sample_prompts(n) == second.sample_prompts(n), \
            "two tasks made with the same seed sample prompts in different orders: seed the task with `seed`"
        made["cfg"], made["task"] = cfg, second
        return check_sequence_task(first)

    def reward() -> str:
        if "task" not in made:
            raise SkipCheck("the task could not be made")
        spec_text = made["cfg"].reward or made["task"].reward
        prompts = list(made["task"].prompts)
        with contextlib.suppress(UserError):  # a bad spec fails in check_reward_spec, with its message
            for term in parse_spec(spec_text):
                if term.name != PYTHON:
                    used.setdefault(registry.resolve("reward", term.name).qualified_name, (term.arg, prompts))
        return check_reward_spec(registry, spec_text, prompts)

    def policy() -> str:
        if "task" not in made:
            raise SkipCheck("the task could not be made")
        cfg = made["cfg"]
        try:
            net = build_policy(registry, spec, cfg, made["task"])
        except UserError as exc:
            raise AssertionError(str(exc)) from None
        return f"{cfg.policy or spec.policy}: " + check_token_policy(net, made["task"].prompts, cfg.num_steps)

    report.run(f"{label}: task", task)
    report.run(f"{label}: reward", reward)
    report.run(f"{label}: policy", policy)


# -- policies, opponents, training -------------------------------------------------------
def check_policy(spec: EnvSpec, registry: Registry, envs: Any) -> str:
    """The env's default policy builds for its spaces and acts legally on its observations."""
    import torch
    from agentctl.assemble import build_policy
    from agentctl.config import resolve
    from agentctl.ppo.rollout import split_obs

    cfg = resolve(spec.default_config)
    policy = build_policy(registry, spec, cfg, envs)
    assert isinstance(policy, torch.nn.Module), f"policy builder returned {type(policy).__name__}"
    if spec.kind == "multi":
        envs.reset(seed=0)
        obs, mask = envs.observe()
    else:
        obs, _ = envs.reset(seed=0)
        obs, mask = split_obs(obs)
    x = torch.as_tensor(np.asarray(obs), dtype=torch.float32)
    m = None if mask is None else torch.as_tensor(np.asarray(mask)).bool()
    with torch.no_grad():
        logits, value = policy(x)
        action, logp, _, _ = policy.get_action_and_value(x, m)
    n = x.shape[0]
    assert logits.shape == (n, policy.dist.num_logits), f"logits shape {tuple(logits.shape)}"
    assert value.shape == (n,), f"value shape {tuple(value.shape)}, expected ({n},)"
    assert torch.isfinite(logp).all(), "non-finite log-probs"
    if m is not None and m.dim() == 2:
        assert m.gather(1, action.view(n, -1)[:, :1]).all(), "policy picked a masked action"
    params = sum(p.numel() for p in policy.parameters())
    return f"{cfg.policy or spec.policy}: {params:,} parameters, forward and masked sampling ok"


def check_opponent(opp: Any, spec: EnvSpec, registry: Registry, max_moves: int = 10_000) -> str:
    """The opponent plays both seats of a few games to the end, always legally."""
    from agentctl.assemble import make_envs, make_opponent
    from agentctl.config import resolve
    from agentctl.games import legal

    cfg = resolve(spec.default_config)
    games = make_envs(spec, cfg, num_envs=4, seed=0)
    player = make_opponent(registry, spec, opp.qualified_name, cfg, seed=0)
    games.reset(seed=0)
    for _ in range(max_moves):
        live = ~np.asarray(games.done(), dtype=bool)
        if not live.any():
            return f"played {games.num_games} games against itself, legal moves only"
        obs, mask = games.observe()
        idx = np.flatnonzero(live)
        chosen = np.asarray(player.act(obs[idx], mask[idx], game=games, index=idx))
        actions = np.zeros((games.num_games, *chosen.shape[1:]), dtype=np.int64)
        actions[idx] = chosen
        assert legal(games.action_space, np.asarray(mask)[idx], actions[idx]).all(), "opponent played an illegal action"
        games.step(actions, live)
    raise AssertionError(f"games did not end within {max_moves} moves")


def smoke_train(spec: EnvSpec, registry: Registry, steps: int = 300, run_dir: str | None = None) -> dict[str, Any]:
    """A short PPO run through ``agentctl.run.train`` (CPU, no TensorBoard), then a check of
    what it wrote: a 4-game evaluation vs random for games, two completions sampled back from
    the checkpoint (``agentctl sample``'s path) for sequence envs. ``steps`` counts env steps
    (4 envs), or for sequence envs generated tokens (4 completions per rollout, or one group
    for grpo/rloo). Returns the run's summary."""
    from agentctl.config import resolve
    from agentctl.run import TrainRequest, train

    cfg = resolve(spec.default_config)
    overrides: dict[str, Any] = {
        "total_timesteps": steps, "update_epochs": 2, "tensorboard": False, "checkpoint_every": 0,
        "snapshot_every": 1, "device": "cpu", "torch_threads": 1,
    }
    if spec.kind == "sequence":
        group = cfg.group_size if cfg.advantage in ("grpo", "rloo") else 1
        num_envs = group * -(-4 // group)
        new_tokens = min(cfg.num_steps, max(2, steps // (2 * num_envs)))
        overrides.update(num_envs=num_envs, num_steps=new_tokens, minibatch_size=num_envs * new_tokens // 2)
        if cfg.init == "pretrained":  # the cached warm start takes minutes to build the first time
            overrides["init"] = ""
    else:
        num_envs = 4
        per_update = max(8, -(-steps // (2 * num_envs)))  # about two updates
        overrides.update(num_envs=num_envs, num_steps=per_update,
                         minibatch_size=min(cfg.minibatch_size, num_envs * per_update))
    with contextlib.ExitStack() as stack:
        if run_dir is None:
            run_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="agentctl-smoke-"))
        req = TrainRequest(env=spec.qualified_name, overrides=overrides, run_dir=f"{run_dir}/run", quiet=True)
        summary = train(req, registry)
        assert summary["steps"] >= 1, "training collected no steps"
        if spec.kind == "multi":
            from agentctl.evaluate import evaluate

            result = evaluate(summary["checkpoint"], registry, episodes=4, opponent="random")
            summary["eval_games"] = result["games"]
        if spec.kind == "sequence":
            from agentctl.sampling import sample_completions

            summary["samples"] = sample_completions(summary["checkpoint"], registry, [], count=1, max_tokens=4)[:2]
    return summary


# -- the whole plugin -----------------------------------------------------------------------
def _find(host: PluginHost, name: str) -> PluginInfo:
    for info in host.plugins:
        if info.name == name:
            return info
    known = ", ".join(sorted(p.name for p in host.plugins)) or "none"
    raise UserError(f"no plugin named {name!r} in the 'agentctl' entry-point group (installed: {known}); "
                    "is its package installed (pip install -e .)?")


def check_plugin(name: str, smoke_steps: int = 300, host: PluginHost | None = None) -> Report:
    """Every check for the installed plugin ``name`` (its entry-point name)."""
    host = host or get_host()
    registry = host.registry
    info = _find(host, name)
    report = Report(name, header=f"check-plugin {name} ({info.distribution} {info.version}, module {info.module})")

    def load() -> str:
        if info.status == "disabled":
            raise AssertionError("disabled by AGENTCTL_LOAD_PLUGINS / AGENTCTL_DISABLE_PLUGINS")
        if info.status != "ok":
            raise AssertionError(f"plugin failed to load: {info.error}")
        api = f"hook API {info.api_version}" if info.api_version is not None \
            else "no AGENTCTL_API declared (recommended: AGENTCTL_API = 1)"
        what = ", ".join(f"{c}:{q.split('/', 1)[1]}" for c, q in info.registered) or "nothing"
        return f"{api}; registers {what}"

    if not report.run("load", load):
        return report
    mine = [registry.items[c][q] for c, q in info.registered]
    envs = [s for s in mine if isinstance(s, EnvSpec)]
    used_rewards: dict[str, Any] = {}  # rewards the sequence envs name: qualified name -> (arg, prompts)
    for spec in envs:
        label = f"env {spec.name}"
        if not report.run(f"{label}: spec", lambda: check_env_spec(spec, registry)):
            continue
        made: dict[str, Any] = {}
        if spec.name.endswith(":*"):
            report.checks.append(Check(f"{label}: batched env", SKIP,
                                       "pattern name: each concrete id is checked when trained"))
            continue
        if spec.kind == "sequence":
            _check_sequence_env(report, spec, registry, used_rewards)
            continue

        def api(spec: EnvSpec = spec) -> str:
            from agentctl.assemble import make_envs
            from agentctl.config import resolve

            try:
                made["envs"] = make_envs(spec, resolve(spec.default_config), num_envs=2, seed=0)
            except UserError as exc:
                raise AssertionError(str(exc)) from None
            if spec.kind == "multi":
                return check_games(made["envs"])
            return check_vector_env(made["envs"])

        report.run(f"{label}: batched env", api)

        def reference(spec: EnvSpec = spec) -> str:
            env = spec.make_reference()
            if spec.kind == "multi":
                if env is None:
                    raise SkipCheck("no reference_env registered (optional: a PettingZoo AEC or Parallel env "
                                    "for api_test)")
                from pettingzoo import ParallelEnv

                return check_parallel_env(env) if isinstance(env, ParallelEnv) else check_aec_env(env)
            if env is None:
                sub = getattr(made.get("envs"), "envs", None)  # SyncVectorEnv / AsyncVectorEnv-less case
                if not sub:
                    raise SkipCheck("no reference_env registered and the vector env exposes no .envs")
                env = sub[0].unwrapped
            return check_gym_env(env)

        checker = "pettingzoo api_test" if spec.kind == "multi" else "gymnasium check_env"
        report.run(f"{label}: {checker}", reference)

        def policy(spec: EnvSpec = spec) -> str:
            if "envs" not in made:
                raise SkipCheck("the env could not be made")
            return check_policy(spec, registry, made["envs"])

        report.run(f"{label}: policy", policy)
        with contextlib.suppress(Exception):
            if "envs" in made and hasattr(made["envs"], "close"):
                made["envs"].close()

    for opp in (s for s in mine if getattr(s, "category", "") == "opponent"):
        def play(opp: Any = opp) -> str:
            try:
                spec = registry.resolve("env", opp.env)
            except UserError:
                raise SkipCheck(f"plays {opp.env!r}, which is not installed") from None
            try:
                return check_opponent(opp, spec, registry)
            except Unavailable as exc:
                raise SkipCheck(str(exc)) from None

        report.run(f"opponent {opp.name}", play)

    for item in (s for s in mine if getattr(s, "category", "") == "policy"):
        report.run(f"policy {item.name}: loads",
                   lambda item=item: f"{getattr(item.load(), '__name__', item.target)} imports")

    for item in (s for s in mine if getattr(s, "category", "") == "reward"):
        arg, prompts = used_rewards.get(item.qualified_name, (None, DUMMY_PROMPTS))
        report.run(f"reward {item.name}", lambda item=item, arg=arg, prompts=prompts: check_reward(item, prompts, arg))

    for spec in envs:
        def smoke(spec: EnvSpec = spec) -> str:
            if spec.name.endswith(":*"):
                raise SkipCheck("pattern name")
            if smoke_steps <= 0:
                raise SkipCheck("disabled (--steps 0)")
            if any(c.status == FAIL and c.name.startswith(f"env {spec.name}:") for c in report.checks):
                raise SkipCheck("earlier checks of this env failed")
            t0 = time.perf_counter()
            s = smoke_train(spec, registry, smoke_steps)
            took = f"{time.perf_counter() - t0:.1f}s"
            if spec.kind == "sequence":
                shown = s["samples"][0]
                return (f"{s['steps']} generated tokens ({s['episodes']} completions) in {took}, mean KL "
                        f"{s['mean_kl']:.3g}; sampled from the checkpoint: {shown['prompt']!r:.30} -> "
                        f"{shown['completion']!r:.30}")
            extra = f", eval vs random: {s['eval_games']} games" if "eval_games" in s else ""
            return f"{s['steps']} PPO steps in {took}{extra}"

        report.run(f"env {spec.name}: training smoke test", smoke)
    if not mine:
        report.checks.append(Check("registrations", FAIL, "the plugin registers nothing"))
    return report


def assert_plugin_ok(name: str, smoke_steps: int = 300, host: PluginHost | None = None) -> Report:
    """For a plugin's pytest suite: fail with the full report unless every check passes."""
    report = check_plugin(name, smoke_steps=smoke_steps, host=host)
    assert report.ok, "\n" + report.format(traces=True)
    return report
