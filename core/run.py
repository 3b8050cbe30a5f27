"""A training run: prepare it (config, resume, run directory, assembled pieces), then loop.

Run directory (``runs/<env>/<time>/`` unless ``--run-dir``): ``config.toml`` (the resolved
config), ``run.json`` (env and policy names), ``metrics.jsonl``, TensorBoard events and
``checkpoints/step_*.pt``. The dir is locked while a run uses it, and a fresh run never
reuses one that holds another run (``agentctl.rundir``). Ctrl-C, SIGTERM and SIGHUP finish the
current update, checkpoint and exit; a second signal aborts at once, leaving the last
checkpoint intact (``agentctl.stopping``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from agentctl import checkpoint as ckpt
from agentctl.assemble import (
    build_policy,
    build_selfplay,
    check_opponent,
    default_registry,
    init_weights,
    load_error,
    make_envs,
    resolve_device,
    use_torch_threads,
)
from agentctl.config import PPOConfig, resolve
from agentctl.errors import EnvFailed, Interrupted, UserError
from agentctl.evaluate import play_games
from agentctl.registry import EnvSpec, Registry
from agentctl.rundir import RunDir
from agentctl.seeding import Stream, int_seed
from agentctl.stopping import StopSignals


@dataclass
class TrainRequest:
    env: str | None = None
    overrides: dict[str, Any] | None = None  # --config file, then --set/flags, already merged
    config_file: dict[str, Any] | None = None
    run_dir: str | None = None
    resume: str | None = None
    quiet: bool = False
    overwrite: bool = False  # a fresh run may replace the run already in run_dir
    workers: Any = None  # agentctl.ray_rollout.RayOptions: collect on Ray workers (--backend ray)
    # Called after every update with its metrics plus ``recent_mean_return`` (the mean return of
    # the last 20 finished episodes, None before any): True stops the run, which then
    # checkpoints and ends as on a time limit (hyperparameter search prunes trials this way).
    on_update: Callable[[dict[str, Any]], bool | None] | None = None


def seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _new_run_dir(env_name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path("runs") / env_name / stamp
    n = 1
    while path.exists():
        n += 1
        path = Path("runs") / env_name / f"{stamp}-{n}"
    return path


def mean_first_last(returns: list[float], frac: float = 0.1) -> tuple[float | None, float | None]:
    """Mean return over the first and last ``frac`` of finished episodes."""
    if not returns:
        return None, None
    k = max(1, int(len(returns) * frac))
    return float(np.mean(returns[:k])), float(np.mean(returns[-k:]))


def peak_memory(device: Any) -> dict[str, float]:
    """Peak resident memory of this process (MB; Linux and macOS), and of the GPU when training on one."""
    import resource
    import sys

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    out = {"peak_rss_mb": round(rss, 1)}
    if getattr(device, "type", "") == "cuda":
        import torch

        out["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    return out


# -- preparing a run ------------------------------------------------------------------------
class Run:
    """A prepared run: its config, directory and trainer, and the periodic chores of the loop
    (evaluation, self-play snapshots, checkpoints) that are not PPO's business."""

    def __init__(self, registry: Registry, spec: EnvSpec, cfg: PPOConfig, run_dir: Path, trainer: Any,
                 prior_wall: float) -> None:
        self.registry = registry
        self.spec = spec
        self.cfg = cfg
        self.dir = run_dir
        self.trainer = trainer
        self.pool = getattr(trainer.envs, "pool", None)  # self-play runs only
        self.prior_wall = prior_wall
        self.started = time.perf_counter()
        self.start_step = trainer.global_step
        self.last_checkpoint: Path | None = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def due(self, every: int) -> bool:
        return every > 0 and self.trainer.update % every == 0

    def evaluate(self) -> dict[str, Any]:
        """Greedy learner vs ``eval_opponent`` for ``eval_games`` games (its own seeds and RNGs,
        so training's random streams, and exact resume, are untouched)."""
        cfg, trainer = self.cfg, self.trainer
        seed = int_seed(cfg.seed, Stream.PERIODIC_EVAL, trainer.update)
        games = make_envs(self.spec, cfg, num_envs=min(cfg.eval_games + cfg.eval_games % 2, 16),
                          seed=int_seed(seed, Stream.ENVS))
        was_training = trainer.policy.training
        trainer.policy.eval()
        result = play_games(self.registry, self.spec, cfg, trainer.policy, games, cfg.eval_opponent,
                            cfg.eval_games, deterministic=cfg.eval_deterministic, seed=seed,
                            playouts=cfg.eval_playouts)
        trainer.policy.train(was_training)
        low, high = result["win_rate_ci95"]
        return {"eval_opponent": cfg.eval_opponent, "eval_win_rate": result["win_rate"],
                "eval_win_rate_low": low, "eval_win_rate_high": high, "eval_draw_rate": result["draw_rate"]}

    def refresh_opponents(self) -> None:
        """Add a snapshot of the learner to the pool when due (games started from then on
        may draw it; games in play keep their opponents)."""
        if self.due(self.cfg.snapshot_every):
            self.pool.add_snapshot(self.trainer.global_step)

    def checkpoint(self) -> Path:
        trainer = self.trainer
        if not trainer.params_finite():
            raise UserError("parameters are NaN/inf; refusing to write a checkpoint")
        payload = {
            "format": 1, "env": self.spec.qualified_name, "env_kind": self.spec.kind,
            "policy": self.cfg.policy or self.spec.policy, "config": self.cfg.to_dict(),
            "trainer": trainer.state_dict(), "wall_s": self.prior_wall + self.elapsed(),
        }
        self.last_checkpoint = ckpt.save(payload, self.dir / "checkpoints", trainer.global_step,
                                         self.cfg.keep_checkpoints)
        return self.last_checkpoint

    def checkpointed_now(self) -> bool:
        """Whether the last checkpoint holds the current step (so the final one is not written twice)."""
        last = self.last_checkpoint
        return last is not None and last.name.endswith(f"{self.trainer.global_step:012d}.pt")

    def kept(self) -> str:
        """What survives an abort, for the one line the user reads."""
        if self.last_checkpoint is not None:
            return f"the last checkpoint {self.last_checkpoint} is intact"
        found = ckpt.list_checkpoints(self.dir / "checkpoints")
        if found:
            return f"the last checkpoint {found[-1]} is intact"
        return "no checkpoint had been written yet"

    def summary(self, signum: int | None) -> dict[str, Any]:
        """``signum``: the stop signal that ended the run early, if any."""
        trainer, wall = self.trainer, self.elapsed()
        first, last = mean_first_last([r for r, _ in trainer.episodes])
        return {
            "env": self.spec.name, "steps": trainer.global_step, "wall_s": round(self.prior_wall + wall, 3),
            "steps_per_s": round((trainer.global_step - self.start_step) / max(wall, 1e-9), 1),
            "episodes": len(trainer.episodes), "first_mean_return": first, "last_mean_return": last,
            "run_dir": str(self.dir), "checkpoint": str(self.last_checkpoint),
            "interrupted": signum is not None, "signal": signum, **peak_memory(trainer.device),
            **(trainer.summary() if hasattr(trainer, "summary") else {}),
        }

    def log_samples(self, samples: list[dict[str, Any]], quiet: bool) -> None:
        """A few completions, to ``samples.jsonl`` and (unless quiet) stderr: what the numbers mean."""
        import sys

        step = self.trainer.global_step
        with open(self.dir / "samples.jsonl", "a", encoding="utf-8") as f:
            f.writelines(json.dumps({"step": step, **s}, ensure_ascii=False) + "\n" for s in samples)
        if not quiet:
            for s in samples:
                print(f"[step {step:,}] {s['score']:+.3f}  {s['prompt']!r} -> {s['completion']!r}", file=sys.stderr)


def plan(req: TrainRequest, registry: Registry) -> tuple[EnvSpec, PPOConfig, Path, dict[str, Any] | None]:
    """Which env, config and run dir (and, when resuming, the checkpoint's state): every check
    that needs no torch, so bad input fails fast and before anything is written."""
    state = None
    if req.resume:
        state = ckpt.load(req.resume)
        if "trainer" not in state:
            raise UserError(f"{state['path']} is a self-play snapshot (weights only), not a training checkpoint; "
                            "resume from the run dir or one of its checkpoints/step_*.pt")
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
    cfg = resolve(*layers)
    if state is not None:
        _check_resumable(state, cfg)
    if spec.kind != "multi" and cfg.opponents != PPOConfig().opponents:
        raise UserError(f"config opponents applies to two-player (multi) envs; {spec.name!r} is {spec.kind!r}")
    _check_sequence_keys(spec, cfg)
    if spec.kind != "single" and (cfg.normalize_obs or cfg.normalize_reward):
        raise UserError(f"config normalize_obs/normalize_reward apply to single-agent envs; {spec.name!r} is "
                        f"{spec.kind!r}: drop them")
    if req.workers is not None and (cfg.normalize_obs or cfg.normalize_reward):
        raise UserError("config normalize_obs/normalize_reward keep their statistics in the local collector; "
                        "--backend ray workers would not use them: drop them or --backend ray")
    return spec, cfg, run_dir, state


def _check_sequence_keys(spec: EnvSpec, cfg: PPOConfig) -> None:
    """Refuse keys that mean nothing for this kind rather than ignore them."""
    if spec.kind != "sequence":
        if cfg.advantage != "gae":
            raise UserError(f"config advantage {cfg.advantage!r} needs groups of completions of one prompt, which "
                            f"only sequence envs have; {spec.name!r} is {spec.kind!r}: use gae")
        if cfg.reward:
            raise UserError(f"config reward applies to sequence envs; {spec.name!r} is {spec.kind!r}")
        return
    if cfg.advantage != "gae" and cfg.num_envs % cfg.group_size:
        raise UserError(f"advantage {cfg.advantage} samples group_size={cfg.group_size} completions per prompt: "
                        f"num_envs ({cfg.num_envs}) must be a multiple of it")


# The checkpoint holds its envs' state (a batch of num_envs envs made with env_kwargs): a
# resumed run with other values would crash on that batch or go on playing the old envs.
FIXED_ON_RESUME = ("num_envs", "env_kwargs")


def _check_resumable(state: dict[str, Any], cfg: PPOConfig) -> None:
    """Refuse a resume that would train nothing, or on envs other than the checkpoint's."""
    for key in FIXED_ON_RESUME:
        was = state["config"].get(key)
        if was is not None and getattr(cfg, key) != was:
            raise UserError(f"cannot resume {state['path']} with {key} {getattr(cfg, key)!r}: it was trained "
                            f"with {key} {was!r} (its envs are in the checkpoint); drop that --set, "
                            "or start a new run")
    step = state["trainer"].get("global_step", 0)
    if step >= cfg.total_timesteps:
        raise UserError(f"{state['path']} is already at step {step:,} of its {cfg.total_timesteps:,}-step budget; "
                        f"pass --steps above {step} to train further")


def prepare(registry: Registry, spec: EnvSpec, cfg: PPOConfig, run_dir: Path,
            state: dict[str, Any] | None, workers: Any = None) -> Run:
    """Build the trainer with everything it trains on; restore the checkpoint's state when
    resuming (a checkpoint that does not fit the config is one clear error). ``workers``
    (``agentctl.ray_rollout.RayOptions``): Ray workers collect, the learner keeps one env.
    Under torchrun each process is a rank of one data-parallel learner (``agentctl.ddp``)."""
    from agentctl.ppo.trainer import Trainer

    use_torch_threads(cfg)
    device = resolve_device(cfg.device)
    if spec.kind == "multi" and cfg.eval_every > 0:  # refuse a bad eval_opponent now, not at the first eval
        check_opponent(registry, spec, cfg, cfg.eval_opponent)
    seed_everything(int_seed(cfg.seed, Stream.INIT))
    envs = make_envs(spec, cfg, num_envs=1 if workers else None)
    policy = build_policy(registry, spec, cfg, envs)
    if cfg.init and state is None:
        init = cfg.init
        if init == "pretrained":  # the built-in GPT's cached warm start; an HF model keeps its own weights
            from agentctl.pretrain import default_pretrained

            init = "" if cfg.policy_kwargs.get("hf_model") else str(
                default_pretrained(dict(cfg.policy_kwargs), corpus=cfg.pretrain_corpus,
                                   demonstrations=getattr(envs, "demonstrations", ())))
        if init:
            init_weights(policy, init, registry, spec, cfg)
    policy = policy.to(device)
    if spec.kind == "sequence":
        from agentctl.ppo.sequence_trainer import SequenceTrainer
        from agentctl.text.scoring import build_scorer

        trainer: Any = SequenceTrainer(cfg, envs, policy, build_scorer(registry, cfg.reward or envs.reward), device)
    else:
        if spec.kind == "multi":
            envs = build_selfplay(registry, spec, cfg, envs, policy, cfg.opponents, run_dir / "snapshots",
                                  int_seed(cfg.seed, Stream.SELFPLAY), both_seats=cfg.both_seats)
        trainer = Trainer(cfg, envs, policy, device)
        if cfg.init_kl_coef > 0 and state is None:
            if not cfg.init:
                trainer.envs.close()
                raise UserError("init_kl_coef > 0 needs init (the weights the penalty holds the policy near)")
            trainer.anchor_to_init()
    if workers:
        from agentctl.ray_rollout import attach_workers

        attach_workers(trainer, spec, cfg, workers, state)
    elif state is not None:
        from agentctl.ray_rollout import fit_local

        fit_local(trainer, state["trainer"])  # a Ray run resumed on local envs
    prior_wall = 0.0
    if state is not None:
        try:
            trainer.load_state_dict(state["trainer"])
        except KeyError as exc:  # not the config's fault: the checkpoint lacks part of the state
            trainer.envs.close()
            raise UserError(f"cannot resume from {state['path']}: an incomplete checkpoint "
                            f"(no trainer {exc.args[0]!r})") from exc
        except (RuntimeError, ValueError) as exc:
            trainer.envs.close()
            raise UserError(f"cannot resume from {state['path']} with this config: {load_error(exc)}") from exc
        prior_wall = state.get("wall_s", 0.0)
    from agentctl import ddp

    if ddp.active():
        ddp.attach(trainer, resumed=state is not None)
    return Run(registry, spec, cfg, run_dir, trainer, prior_wall)


def write_run_files(run: Run) -> None:
    """The run dir's description of the run; metrics past the resumed step are dropped."""
    from agentctl.runlog import truncate_metrics

    try:
        (run.dir / "config.toml").write_text(run.cfg.to_toml())
        (run.dir / "run.json").write_text(json.dumps(
            {"env": run.spec.qualified_name, "policy": run.cfg.policy or run.spec.policy, "kind": run.spec.kind},
            indent=2) + "\n")
        truncate_metrics(run.dir / "metrics.jsonl", run.trainer.global_step)
    except OSError as exc:
        raise UserError(f"cannot write to run dir {run.dir}: {exc.strerror or exc}") from None


# -- the loop ---------------------------------------------------------------------------------
def train(req: TrainRequest, registry: Registry | None = None) -> dict[str, Any]:
    """Run (or resume) training; returns the summary printed by ``agentctl train --json``.

    Each update: collect a rollout and update the policy (``Trainer.step``), evaluate, log,
    refresh self-play opponents, checkpoint; stop at the step budget, the time limit or a stop
    signal (Ctrl-C, SIGTERM, SIGHUP: finish the update, checkpoint, report).
    """
    registry = default_registry(registry)
    state = None
    with StopSignals() as stop:
        try:
            spec, cfg, run_dir, state = plan(req, registry)
            with RunDir(run_dir, fresh=state is None, overwrite=req.overwrite):
                run = prepare(registry, spec, cfg, run_dir, state, workers=req.workers)
                write_run_files(run)
                return loop(run, stop, req.quiet, req.on_update)
        except Interrupted as exc:
            if exc.message:
                raise
            kept = f"; {state['path']} is unchanged" if state else ""
            raise Interrupted(exc.signum, f"stopped during start-up, nothing was trained{kept}") from None


def loop(run: Run, stop: StopSignals, quiet: bool = False,
         on_update: Callable[[dict[str, Any]], bool | None] | None = None) -> dict[str, Any]:
    from agentctl.runlog import RunLogger, TrainProgress

    cfg, trainer = run.cfg, run.trainer
    logger = RunLogger(run.dir, cfg.tensorboard)
    run.started = time.perf_counter()
    stop.armed = True
    try:
        with TrainProgress(cfg.total_timesteps, trainer.global_step, quiet) as bar:
            while trainer.global_step < cfg.total_timesteps:
                metrics = trainer.step()
                samples = metrics.pop("samples", None)
                if samples:
                    run.log_samples(samples, quiet)
                metrics["steps_per_s"] = (trainer.global_step - run.start_step) / max(run.elapsed(), 1e-9)
                metrics["wall_s"] = run.prior_wall + run.elapsed()
                if run.pool is not None and run.due(cfg.eval_every):
                    metrics.update(run.evaluate())
                logger.log(metrics)
                recent = [r for r, _ in trainer.episodes[-20:]]
                recent_mean = float(np.mean(recent)) if recent else None
                bar.update(trainer.global_step, metrics["steps_per_s"], recent_mean)
                if run.pool is not None:
                    run.refresh_opponents()
                if run.due(cfg.checkpoint_every):
                    run.checkpoint()
                if stop.requested is not None:
                    break
                if cfg.time_limit_s > 0 and run.elapsed() >= cfg.time_limit_s:
                    break
                if on_update is not None and on_update({**metrics, "recent_mean_return": recent_mean}):
                    break
            if not run.checkpointed_now():
                run.checkpoint()
    except Interrupted as exc:
        raise Interrupted(exc.signum, f"aborted; {run.kept()}") from None
    except UserError as exc:  # mid-run: name the env if it failed, and say what survived
        blame = f"env {run.spec.name!r} (plugin {run.spec.plugin!r}) " if isinstance(exc, EnvFailed) else ""
        exc.args = (f"{blame}{exc}; {run.kept()}",)
        raise
    finally:
        logger.close()
        trainer.envs.close()
    return run.summary(stop.requested)
