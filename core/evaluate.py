"""Evaluate a checkpoint: N episodes spread over a vector env, mean return +- std."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from agentctl import checkpoint as ckpt
from agentctl.assemble import (
    build_selfplay,
    default_registry,
    load_policy,
    make_envs,
    opponent_name,
    resolve_device,
)
from agentctl.errors import UserError
from agentctl.normalize import obs_normalizer_from
from agentctl.registry import Registry
from agentctl.seeding import Stream, int_seed


def evaluate(path: str, registry: Registry | None = None, episodes: int = 10, deterministic: bool | None = None,
             seed: int | None = None, device: str = "cpu", opponent: str | None = None,
             playouts: int | None = None, split: str | None = None, ks: list[int] | None = None,
             samples: int | None = None, temperature: float | None = None,
             record: str | None = None) -> dict[str, Any]:
    """Play exactly ``episodes`` episodes (each env plays its share, so short episodes don't
    crowd out long ones) and summarize their returns. ``playouts`` > 0 (multi-agent envs whose
    games offer ``search_state``) picks the learner's moves by tree search guided by the net;
    None: the run's ``eval_playouts``.

    Sequence envs: ``split`` picks the task's prompt set (its ``split`` env kwarg, e.g. a held-out
    set), ``ks`` asks for pass@k over every prompt with ``samples`` completions each (default
    max(ks)) at ``temperature`` (default the run's) instead of mean scores.

    ``record`` (multi-agent envs whose games have ``render_frame``): save the first game, the
    learner in seat 0, as a replay there (:mod:`agentctl.record`: a .gif, else PNG frames)."""
    import torch
    from agentctl.nn.policy import act
    from agentctl.ppo.rollout import split_obs

    if episodes < 1:
        raise UserError("--episodes must be >= 1")
    if playouts is not None and playouts < 0:
        raise UserError("--playouts must be >= 0")
    registry = default_registry(registry)
    if record is not None:
        from agentctl.record import GameRecorder, check_record_path, write_frames

        check_record_path(record)
    state = ckpt.load(path)
    policy, spec, cfg = load_policy(state, registry, device=device)
    if deterministic is None:  # the run's choice (greedy unless its env says sampling plays better)
        deterministic = cfg.eval_deterministic
    if playouts is None:  # the run's choice too (only games search)
        playouts = cfg.eval_playouts if spec.kind == "multi" else 0
    if record is not None and spec.kind != "multi":
        raise UserError(f"--record applies to two-player games; {spec.name!r} is {spec.kind!r}")
    seed = int_seed(cfg.seed, Stream.EVAL) if seed is None else seed  # a stream training never sees
    if spec.kind == "multi":
        games = make_envs(spec, cfg, num_envs=min(episodes + episodes % 2, 16), seed=int_seed(seed, Stream.ENVS))
        if record is not None:
            games = GameRecorder(games, spec.name)
        result = play_games(registry, spec, cfg, policy, games, opponent or "random",
                            episodes, deterministic, seed, playouts=playouts)
        if record is not None:
            result.update(record=write_frames(games.frames, record), record_frames=len(games.frames))
        return {"env": spec.name, "checkpoint": state["path"], **result}
    if opponent:
        raise UserError(f"--opponent applies to multi-agent envs; {spec.name!r} is {spec.kind!r}")
    sequence_only = {"--split": split, "--k": ks, "--samples": samples, "--temperature": temperature}
    if spec.kind != "sequence" and any(v is not None for v in sequence_only.values()):
        given = ", ".join(k for k, v in sequence_only.items() if v is not None)
        raise UserError(f"{given} applies to sequence (text) envs; {spec.name!r} is {spec.kind!r}")
    if samples is not None and not ks:
        raise UserError("--samples is the number of completions per prompt for pass@k: give --k too")
    if spec.kind == "sequence":
        from agentctl.sampling import completions, scorer_for

        if split is not None:
            cfg = dataclasses.replace(cfg, env_kwargs={**cfg.env_kwargs, "split": split})
        task = make_envs(spec, cfg, num_envs=1, seed=int_seed(seed, Stream.ENVS))
        if ks:
            from agentctl.passk import evaluate_pass_at_k

            result = evaluate_pass_at_k(policy, task, scorer_for(registry, cfg, task), ks=ks,
                                        samples=samples or max(ks), temperature=temperature or cfg.temperature,
                                        max_tokens=cfg.num_steps, seed=int_seed(seed, Stream.ACTIONS))
            return {"env": spec.name, "checkpoint": state["path"], "split": split, **result}
        rows = completions(policy, task.sample_prompts(episodes), scorer_for(registry, cfg, task),
                           max_tokens=cfg.num_steps, temperature=temperature or cfg.temperature, greedy=deterministic,
                           seed=int_seed(seed, Stream.ACTIONS), stop=task.stop, min_new_tokens=task.min_new_tokens)
        return {"env": spec.name, "checkpoint": state["path"], "split": split,
                **_return_stats([r["score"] for r in rows]), "deterministic": deterministic, "samples": rows[:3]}
    if playouts:
        raise UserError(f"--playouts (tree search) applies to two-player games; {spec.name!r} is {spec.kind!r}")
    num_envs = min(episodes, 8)
    env_seed = int_seed(seed, Stream.ENVS)
    envs = make_envs(spec, cfg, num_envs=num_envs, seed=env_seed)
    dev = resolve_device(device)
    generator = torch.Generator(device=dev)
    generator.manual_seed(int_seed(seed, Stream.ACTIONS))

    obs_norm = obs_normalizer_from(state)  # the run's statistics, frozen: the policy knows only them
    quota = np.full(num_envs, episodes // num_envs)
    quota[: episodes % num_envs] += 1
    returns: list[float] = []
    ep_ret = np.zeros(num_envs)
    prev_done = np.zeros(num_envs, dtype=bool)
    obs, _ = envs.reset(seed=env_seed)
    while (quota > 0).any():
        arr, mask = split_obs(obs)
        if obs_norm is not None:
            arr = obs_norm(arr)
        obs, reward, term, trunc, _ = envs.step(act(policy, arr, mask, deterministic=deterministic,
                                                     generator=generator))
        ep_ret += np.where(prev_done, 0.0, reward)
        done = np.logical_or(term, trunc) & ~prev_done
        for i in np.flatnonzero(done):
            if quota[i] > 0:
                returns.append(float(ep_ret[i]))
                quota[i] -= 1
            ep_ret[i] = 0.0
        prev_done = np.logical_or(term, trunc)
    envs.close()
    return {"env": spec.name, "checkpoint": state["path"], **_return_stats(returns), "deterministic": deterministic}


def _return_stats(returns: list[float]) -> dict[str, Any]:
    return {"episodes": len(returns), "mean_return": float(np.mean(returns)), "std_return": float(np.std(returns)),
            "min_return": float(np.min(returns)), "max_return": float(np.max(returns))}


def wilson_interval(wins: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a win rate (draws count half when passed as 0.5 wins)."""
    if n == 0:
        return 0.0, 1.0
    p = wins / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def play_games(registry: Registry, spec: Any, cfg: Any, policy: Any, games: Any, opponent: str,
               num_games: int, deterministic: bool = True, seed: int = 0, playouts: int = 0) -> dict[str, Any]:
    """The learner (greedy by default) vs one opponent, colours alternating game by game.

    Game ``i`` of the batch always gives the learner seat ``i % 2`` and every slot plays
    the same number of games, so an even ``num_games`` splits colours exactly. With
    ``playouts`` > 0 the learner picks the most visited move of a PUCT search guided by its
    net (``agentctl.search``; the games must offer ``search_state``), all live games searched
    in lockstep so their leaves share batched forward passes. ``seed`` is the root of the
    games', the learner's sampling and the opponents' random streams.
    """
    import time

    import torch
    from agentctl.nn.policy import act

    if num_games < 1:
        raise UserError("--games must be >= 1")
    opponent_name(opponent)  # a bare 'snapshot' would silently play the learner itself: no pool here
    mcts = None
    if playouts > 0:
        from agentctl.search import MCTS, NetEvaluator, search_actions, supports_search

        if not supports_search(games):
            raise UserError(f"env {spec.name!r} does not support tree search (its games have no search_state)")
        mcts = MCTS(NetEvaluator(policy))
    envs = build_selfplay(registry, spec, cfg, games, policy, {opponent: 1.0}, None,
                          int_seed(seed, Stream.SELFPLAY))
    n = envs.num_envs
    quota = np.full(n, num_games // n)
    quota[: num_games % n] += 1
    results = {0: [], 1: []}  # seat -> learner scores (+1/0/-1)
    dev = next(policy.parameters()).device
    generator = torch.Generator(device=dev)
    generator.manual_seed(int_seed(seed, Stream.ACTIONS))
    obs, _ = envs.reset(seed=int_seed(seed, Stream.ENVS))
    prev_done = np.zeros(n, dtype=bool)
    think, moves = 0.0, 0  # the learner's decision time and moves (live games only)
    with torch.inference_mode():
        while (quota > 0).any():
            t0 = time.perf_counter()
            live = np.flatnonzero(~prev_done)  # finished games restart: their action is ignored
            if mcts is not None:
                # Search only games still counted; the others (past their quota) play the first
                # legal move, which is never scored.
                live = np.flatnonzero(~prev_done & (quota > 0))
                actions = np.argmax(obs["action_mask"], axis=1).astype(np.int64)
                if live.size:
                    actions[live] = search_actions(mcts, envs.games, live, playouts)
            else:
                actions = act(policy, obs["observation"], obs["action_mask"], deterministic=deterministic,
                              generator=generator)
            think += time.perf_counter() - t0
            moves += live.size
            obs, _, term, _, _ = envs.step(actions)
            # The result from the learner's seat; not the reward, which may hold shaping terms.
            result = envs.games.outcome() * np.where(envs.seat == 0, 1.0, -1.0)
            for i in np.flatnonzero(term & ~prev_done):
                if quota[i] > 0:
                    results[int(envs.seat[i])].append(float(result[i]))
                    quota[i] -= 1
            prev_done = term
    envs.close()
    scores = results[0] + results[1]
    wins, draws = sum(r > 0 for r in scores), sum(r == 0 for r in scores)
    losses = len(scores) - wins - draws
    low, high = wilson_interval(wins, len(scores))
    return {
        "opponent": opponent, "episodes": len(scores), "games": len(scores),
        "win_rate": wins / len(scores), "draw_rate": draws / len(scores), "loss_rate": losses / len(scores),
        "win_rate_ci95": [low, high], "mean_return": float(np.mean(scores)), "std_return": float(np.std(scores)),
        "games_as_first": len(results[0]), "win_rate_as_first": _rate(results[0]),
        "games_as_second": len(results[1]), "win_rate_as_second": _rate(results[1]),
        "deterministic": deterministic, "playouts": playouts,
        "seconds_per_move": think / max(moves, 1),
    }


def _rate(scores: list[float]) -> float | None:
    return sum(r > 0 for r in scores) / len(scores) if scores else None
