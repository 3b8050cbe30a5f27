"""A training run: resolve config and env, own the run directory, loop, checkpoint, summarize.

Run directory (``runs/<env>/<time>/`` unless ``--run-dir``): ``config.toml`` (the resolved
config), ``run.json`` (env and policy names), ``metrics.jsonl``, TensorBoard events and
``checkpoints/step_*.pt``. Ctrl-C finishes the current update, checkpoints and exits; a
second Ctrl-C aborts at once (the last checkpoint stays intact).
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from agentctl import checkpoint as ckpt
from agentctl.config import PPOConfig, resolve
from agentctl.errors import UserError
from agentctl.registry import EnvSpec, Registry


def resolve_device(name: str) -> Any:
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError("--device cuda requested but no CUDA GPU is available; use --device cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_envs(spec: EnvSpec, cfg: PPOConfig, num_envs: int | None = None, seed: int | None = None) -> Any:
    """The env factory's product: a Gymnasium VectorEnv ('single') or TurnBasedGames ('multi')."""
    if spec.kind == "sequence":
        raise UserError(f"env {spec.name!r} is a sequence env; sequence training is not available yet")
    try:
        envs = spec.make(num_envs=num_envs or cfg.num_envs, seed=cfg.seed if seed is None else seed,
                         **cfg.env_kwargs)
    except TypeError as exc:  # almost always an env_kwargs key the env does not take
        raise UserError(f"env {spec.name!r} cannot be made with env_kwargs {dict(cfg.env_kwargs)}: "
                        f"{str(exc).splitlines()[0]}") from exc
    if spec.kind == "multi":
        from agentctl.games import TurnBasedGames

        if not isinstance(envs, TurnBasedGames):
            raise UserError(f"multi-agent env {spec.name!r} must return TurnBasedGames (see agentctl.games), "
                            f"got {type(envs).__name__}")
    return envs


def policy_builder(registry: Registry, spec: EnvSpec, cfg: PPOConfig, observation_space: Any,
                   action_space: Any) -> Any:
    """A zero-argument function that builds a fresh policy for this env (used for snapshots too)."""
    from agentctl.ppo.rollout import inner_space

    policy_spec = registry.resolve("policy", cfg.policy or spec.policy)
    builder = policy_spec.load()
    obs_space = inner_space(observation_space)

    def build() -> Any:
        try:
            return builder(obs_space, action_space, **cfg.policy_kwargs)
        except (TypeError, ValueError) as exc:
            raise UserError(f"policy {policy_spec.name!r} cannot be built for env {spec.name!r}: {exc}") from exc

    return build


def build_policy(registry: Registry, spec: EnvSpec, cfg: PPOConfig, envs: Any) -> Any:
    if spec.kind == "multi":
        return policy_builder(registry, spec, cfg, envs.observation_space, envs.action_space)()
    return policy_builder(registry, spec, cfg, envs.single_observation_space, envs.single_action_space)()


def make_opponent(registry: Registry, spec: EnvSpec, name: str, cfg: PPOConfig, seed: int) -> Any:
    """``name`` or ``name:arg`` (e.g. ``gnugo:1``) -> an opponent from a plugin."""
    base, _, arg = name.partition(":")
    if base == "snapshot" and arg:  # a checkpoint or snapshot file of this env's policy
        return snapshot_opponent(registry, spec, cfg, arg, seed)
    opp = registry.resolve("opponent", base)
    if opp.env not in ("*", spec.name, spec.qualified_name):
        raise UserError(f"opponent {name!r} plays {opp.env!r}, not {spec.name!r}")
    return opp.load()(arg or None, seed=seed, env_kwargs=dict(cfg.env_kwargs))


def snapshot_opponent(registry: Registry, spec: EnvSpec, cfg: PPOConfig, path: str, seed: int) -> Any:
    """A past policy (checkpoint, run dir or pool snapshot file) as a sampling opponent."""
    import torch
    from agentctl.selfplay import PolicyOpponent

    state = ckpt.load(path)
    model = state["trainer"]["model"] if "trainer" in state else state["model"]
    probe = make_envs(spec, cfg, num_envs=1, seed=seed)
    module = build_policy(registry, spec, cfg, probe)
    module.load_state_dict(model)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return PolicyOpponent(module.eval(), generator)


def build_selfplay(registry: Registry, spec: EnvSpec, cfg: PPOConfig, games: Any, policy: Any,
                   weights: dict[str, float], snapshot_dir: Path | None, seed: int) -> Any:
    """Wrap games and an opponent pool into the learner's vector env."""
    from agentctl.selfplay import LATEST, RANDOM, SNAPSHOT, OpponentPool, SelfPlayVecEnv

    build = policy_builder(registry, spec, cfg, games.observation_space, games.action_space)
    fixed = {n: make_opponent(registry, spec, n, cfg, seed + i)
             for i, n in enumerate(weights) if n not in (LATEST, SNAPSHOT, RANDOM)}
    pool = OpponentPool(policy, build, weights, fixed, snapshot_dir, cfg.max_snapshots, seed)
    return SelfPlayVecEnv(games, pool)


def periodic_eval(registry: Registry, spec: EnvSpec, cfg: PPOConfig, trainer: Any) -> dict[str, Any]:
    """Greedy learner vs ``eval_opponent`` for ``eval_games`` games (its own seeds and RNGs, so
    training's random streams, and exact resume, are untouched)."""
    from agentctl.evaluate import play_games

    seed = cfg.seed + 20_000 + trainer.update
    games = make_envs(spec, cfg, num_envs=min(cfg.eval_games + cfg.eval_games % 2, 16), seed=seed)
    was_training = trainer.policy.training
    trainer.policy.eval()
    result = play_games(registry, spec, cfg, trainer.policy, games, cfg.eval_opponent, cfg.eval_games,
                        deterministic=True, seed=seed)
    trainer.policy.train(was_training)
    low, high = result["win_rate_ci95"]
    return {"eval_opponent": cfg.eval_opponent, "eval_win_rate": result["win_rate"],
            "eval_win_rate_low": low, "eval_win_rate_high": high, "eval_draw_rate": result["draw_rate"]}


def mean_first_last(returns: list[float], frac: float = 0.1) -> tuple[float | None, float | None]:
    """Mean return over the first and last ``frac`` of finished episodes."""
    if not returns:
        return None, None
    k = max(1, int(len(returns) * frac))
    return float(np.mean(returns[:k])), float(np.mean(returns[-k:]))


@dataclass
class TrainRequest:
    env: str | None = None
    overrides: dict[str, Any] | None = None  # --config file, then --set/flags, already merged
    config_file: dict[str, Any] | None = None
    run_dir: str | None = None
    resume: str | None = None
    quiet: bool = False


def _new_run_dir(env_name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path("runs") / env_name / stamp
    n = 1
    while path.exists():
        n += 1
        path = Path("runs") / env_name / f"{stamp}-{n}"
    return path


class _Interrupt:
    """First Ctrl-C asks the loop to stop after this update; the second one aborts."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> _Interrupt:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)


def train(req: TrainRequest, registry: Registry) -> dict[str, Any]:
    """Run (or resume) training; returns the summary printed by ``agentctl train --json``."""
    state = None
    if req.resume:
        state = ckpt.load(req.resume)
        spec = registry.resolve("env", state["env"])
        if req.env and registry.resolve("env", req.env).qualified_name != spec.qualified_name:
            raise UserError(f"--env {req.env} does not match the checkpoint's env {state['env']}")
        layers = [state["config"], req.config_file or {}, req.overrides or {}]
        run_dir = Path(req.run_dir) if req.run_dir else Path(state["path"]).parent.parent
    else:
        if not req.env:
            raise UserError("--env is required (or --resume a checkpoint); `agentctl envs` lists envs")
        spec = registry.resolve("env", req.env)
        layers = [spec.default_config, req.config_file or {}, req.overrides or {}]
        run_dir = Path(req.run_dir) if req.run_dir else _new_run_dir(spec.name)
    cfg = resolve(*layers)  # user errors surface here, before torch is imported

    import torch
    from agentctl.runlog import RunLogger, TrainProgress, truncate_metrics
    from agentctl.ppo.trainer import Trainer

    if cfg.torch_threads > 0:
        torch.set_num_threads(cfg.torch_threads)
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    envs = make_envs(spec, cfg)
    policy = build_policy(registry, spec, cfg, envs).to(device)
    pool = None
    if spec.kind == "multi":
        envs = build_selfplay(registry, spec, cfg, envs, policy, cfg.opponents, run_dir / "snapshots", cfg.seed)
        pool = envs.pool
    trainer = Trainer(cfg, envs, policy, device)
    prior_wall = 0.0
    if state is not None:
        trainer.load_state_dict(state["trainer"])
        prior_wall = state.get("wall_s", 0.0)

    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.toml").write_text(cfg.to_toml())
    (run_dir / "run.json").write_text(json.dumps(
        {"env": spec.qualified_name, "policy": cfg.policy or spec.policy, "kind": spec.kind}, indent=2) + "\n")
    truncate_metrics(run_dir / "metrics.jsonl", trainer.global_step)
    ckpt_dir = run_dir / "checkpoints"

    def save() -> Path:
        if not trainer.params_finite():
            raise UserError("parameters are NaN/inf; refusing to write a checkpoint")
        payload = {
            "format": 1, "env": spec.qualified_name, "env_kind": spec.kind,
            "policy": cfg.policy or spec.policy, "config": cfg.to_dict(),
            "trainer": trainer.state_dict(), "wall_s": prior_wall + (time.perf_counter() - start),
        }
        return ckpt.save(payload, ckpt_dir, trainer.global_step, cfg.keep_checkpoints)

    logger = RunLogger(run_dir, cfg.tensorboard)
    start = time.perf_counter()
    start_step = trainer.global_step
    interrupted = False
    last_path: Path | None = None
    try:
        with _Interrupt() as stop, TrainProgress(cfg.total_timesteps, trainer.global_step, req.quiet) as bar:
            while trainer.global_step < cfg.total_timesteps:
                metrics = trainer.step()
                elapsed = time.perf_counter() - start
                metrics["steps_per_s"] = (trainer.global_step - start_step) / max(elapsed, 1e-9)
                metrics["wall_s"] = prior_wall + elapsed
                if pool is not None and cfg.eval_every > 0 and trainer.update % cfg.eval_every == 0:
                    metrics.update(periodic_eval(registry, spec, cfg, trainer))
                logger.log(metrics)
                recent = [r for r, _ in trainer.episodes[-20:]]
                bar.update(trainer.global_step, metrics["steps_per_s"], float(np.mean(recent)) if recent else None)
                if pool is not None:
                    if cfg.snapshot_every > 0 and trainer.update % cfg.snapshot_every == 0:
                        pool.add_snapshot(trainer.global_step)
                    pool.refresh()
                if cfg.checkpoint_every > 0 and trainer.update % cfg.checkpoint_every == 0:
                    last_path = save()
                if stop.requested:
                    interrupted = True
                    break
                if cfg.time_limit_s > 0 and time.perf_counter() - start >= cfg.time_limit_s:
                    break
            if last_path is None or not last_path.name.endswith(f"{trainer.global_step:012d}.pt"):
                last_path = save()  # unless this update's periodic checkpoint already holds it
    finally:
        logger.close()
        trainer.envs.close()

    wall = time.perf_counter() - start
    first, last = mean_first_last([r for r, _ in trainer.episodes])
    return {
        "env": spec.name, "steps": trainer.global_step, "wall_s": round(prior_wall + wall, 3),
        "steps_per_s": round((trainer.global_step - start_step) / max(wall, 1e-9), 1),
        "episodes": len(trainer.episodes), "first_mean_return": first, "last_mean_return": last,
        "run_dir": str(run_dir), "checkpoint": str(last_path), "interrupted": interrupted,
    }
