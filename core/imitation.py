"""Warm start from a teacher: supervised training of an env's policy on demonstration games.

Self-play from random weights spends its first hours rediscovering what any real player
knows. A plugin's teacher (``register_teachers``, e.g. Go's ``gnugo``) plays games and turns
them into the generic demonstration format (see :func:`agentctl.hookspecs.register_teachers`);
:func:`imitate` trains the policy on them:

- cross-entropy of the policy's masked logits against the teacher's move (rows marked
  ``teacher``: a game's random opening plies are positions, not targets);
- ``value_coef`` x squared error of the value against the game's result for the mover;
- for every auxiliary head the policy offers (``aux_names``/``forward_aux``/``aux_loss``) and
  the teacher gives targets for, ``aux_coef[name]`` x its loss on the rows whose targets are
  known (``aux_valid``).

When the teacher says its boards are ``"dihedral"``, each sample of each minibatch is shown
through a random rotation/reflection, the same transform :class:`agentctl.games.DihedralAugment`
applies in self-play (observation, mask, action and spatial aux targets alike): 8x the data
for free. Games are split into training and validation by game (positions of one game are
near-copies), and the best validation loss so far is what the checkpoint holds, so a Ctrl-C
or a time limit keeps a usable net.

The policy is built exactly as ``agentctl train`` builds it (env spec, ``--config``, ``--set``),
and the checkpoint carries the env and config, so ``agentctl train --init PATH`` and
``agentctl eval --checkpoint PATH`` both take it.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
from agentctl import checkpoint as ckpt
from agentctl.errors import Interrupted, UserError
from agentctl.games import _transform
from agentctl.runlog import format_duration
from agentctl.stopping import StopSignals


@dataclass
class Settings:
    """How :func:`imitate` trains. With neither ``epochs`` nor ``time_limit_s`` it runs
    ``DEFAULT_EPOCHS``; with both, whichever ends first. The learning rate follows a cosine
    from ``lr`` to 0 over the run (by steps, or by time under a time limit)."""

    epochs: int | None = None
    time_limit_s: float | None = None
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 20
    value_coef: float = 1.0
    # head name -> weight; 1.0 when absent (config aux_coef, whose PPO default {} means "off",
    # only reweights here: a warm start wants the per-point targets)
    aux_coef: Mapping[str, float] = field(default_factory=dict)
    val_fraction: float = 0.05
    seed: int = 0
    device: str = "cpu"
    log_every_s: float = 30.0


DEFAULT_EPOCHS = 10


# -- symmetry ---------------------------------------------------------------------------------
def dihedral_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(gather, scatter), each [8, n*n]: ``gather[k][j]`` is the real point shown at position j
    of frame k (as :class:`agentctl.games.DihedralAugment` defines it), ``scatter[k][a]`` the
    frame position of real point a (its inverse)."""
    points = np.arange(n * n).reshape(n, n)
    gather = np.stack([_transform(points, k).reshape(-1) for k in range(8)])
    return gather, np.argsort(gather, axis=1)


def augment(batch: dict[str, Any], frames: np.ndarray, n: int) -> dict[str, Any]:
    """``batch`` with row i seen through dihedral frame ``frames[i]``: observations [B, C, n, n]
    turned, the first n*n mask entries and spatial aux targets ([B, n*n]) gathered, board actions
    (< n*n) moved to where their point now shows; extra actions (pass) are unchanged."""
    gather, scatter = dihedral_tables(n)
    points = n * n
    out = {**batch, "obs": batch["obs"].copy(), "action": batch["action"].copy(),
           "aux": {k: v.copy() for k, v in batch["aux"].items()}}
    if batch.get("mask") is not None:
        out["mask"] = batch["mask"].copy()
    for k in range(1, 8):
        rows = np.flatnonzero(frames == k)
        if not rows.size:
            continue
        out["obs"][rows] = _transform(batch["obs"][rows], k)
        if batch.get("mask") is not None:
            out["mask"][rows, :points] = batch["mask"][rows][:, gather[k]]
        a = batch["action"][rows]
        out["action"][rows] = np.where(a < points, scatter[k][np.minimum(a, points - 1)], a)
        for name, target in batch["aux"].items():
            if target.shape[1:] == (points,):
                out["aux"][name][rows] = target[rows][:, gather[k]]
    return out


# -- data -------------------------------------------------------------------------------------
def check_data(data: Mapping[str, Any], obs_shape: tuple[int, ...], num_actions: int) -> int:
    """Refuse demonstrations that do not fit the policy (one line); returns the row count."""
    rows = len(data["action"])
    for key in ("obs", "action", "teacher", "value", "game", "aux_valid"):
        if key not in data:
            raise UserError(f"the teacher's data has no {key!r} array (see register_teachers)")
        if len(data[key]) != rows:
            raise UserError(f"the teacher's {key!r} has {len(data[key])} rows, its actions {rows}")
    if tuple(data["obs"].shape[1:]) != tuple(obs_shape):
        raise UserError(f"the teacher's observations are {tuple(data['obs'].shape[1:])}, the policy's "
                        f"{tuple(obs_shape)}: generate the games with the env_kwargs you train with")
    if data.get("mask") is not None and data["mask"].shape[1] != num_actions:
        raise UserError(f"the teacher's masks have {data['mask'].shape[1]} actions, the policy {num_actions}")
    if rows and (data["action"].min() < 0 or data["action"].max() >= num_actions):
        raise UserError(f"the teacher's actions leave 0..{num_actions - 1}")
    return rows


def split_games(game: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, validation rows): a random ``fraction`` of the games (at least one, and at
    least one left to train on when there are two or more) and all their positions."""
    games = np.unique(game)
    n_val = max(1, round(fraction * len(games)))
    if len(games) > 1:
        n_val = min(n_val, len(games) - 1)
    val_games = rng.choice(games, size=n_val, replace=False)
    is_val = np.isin(game, val_games)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def take(data: Mapping[str, Any], rows: np.ndarray) -> dict[str, Any]:
    """The demonstration rows ``rows`` as a batch (numpy)."""
    return {"obs": data["obs"][rows], "mask": None if data.get("mask") is None else data["mask"][rows],
            "action": data["action"][rows], "teacher": data["teacher"][rows], "value": data["value"][rows],
            "aux": {k: v[rows] for k, v in data.get("aux", {}).items()}, "aux_valid": data["aux_valid"][rows]}


def take_games(data: Mapping[str, Any], games: int) -> dict[str, Any]:
    """The rows of the first ``games`` games (game ids count from 0 in file order)."""
    keep = np.asarray(data["game"]) < games
    out = {k: v[keep] for k, v in data.items() if k != "aux" and v is not None}
    out["aux"] = {k: v[keep] for k, v in data.get("aux", {}).items()}
    return out


# -- losses -----------------------------------------------------------------------------------
def aux_heads(policy: Any, data: Mapping[str, Any]) -> list[str]:
    """The auxiliary heads trained: the policy's that the teacher gives targets for."""
    if not hasattr(policy, "forward_aux"):
        return []
    return [name for name in getattr(policy, "aux_names", ()) if name in data.get("aux", {})]


def losses(policy: Any, batch: dict[str, Any], heads: list[str], device: Any) -> dict[str, Any]:
    """Per-batch losses (tensors) and counts: ``policy`` (mean cross-entropy over teacher rows),
    ``correct`` (teacher rows whose masked argmax is the teacher's move), ``value`` (mean squared
    error), ``aux/<name>`` (mean over aux_valid rows)."""
    import torch
    import torch.nn.functional as F

    obs = torch.as_tensor(batch["obs"], device=device).float()
    if heads:
        logits, value, aux = policy.forward_aux(obs)
    else:
        (logits, value), aux = policy(obs), {}
    if batch.get("mask") is not None:
        mask = torch.as_tensor(batch["mask"], device=device)
        logits = logits.masked_fill(~mask, torch.finfo(logits.dtype).min)
    action = torch.as_tensor(batch["action"], device=device)
    teacher = torch.as_tensor(batch["teacher"], device=device)
    out: dict[str, Any] = {"targets": int(teacher.sum())}
    zero = value.sum() * 0.0  # a 0 that keeps the graph (masked logits would sum to -inf)
    if out["targets"]:
        out["policy"] = F.cross_entropy(logits[teacher], action[teacher])
        out["correct"] = int((logits[teacher].argmax(dim=1) == action[teacher]).sum())
    else:
        out["policy"], out["correct"] = zero, 0
    out["value"] = F.mse_loss(value, torch.as_tensor(batch["value"], device=device).float())
    valid = torch.as_tensor(batch["aux_valid"], device=device)
    out["aux_rows"] = int(valid.sum())
    for name in heads:
        if out["aux_rows"]:
            target = torch.as_tensor(batch["aux"][name], device=device)
            out[f"aux/{name}"] = policy.aux_loss(name, aux[name][valid], target[valid]).mean()
        else:
            out[f"aux/{name}"] = zero
    return out


def total_loss(parts: Mapping[str, Any], heads: list[str], settings: Settings) -> Any:
    loss = parts["policy"] + settings.value_coef * parts["value"]
    for name in heads:
        loss = loss + float(settings.aux_coef.get(name, 1.0)) * parts[f"aux/{name}"]
    return loss


def validate(policy: Any, data: Mapping[str, Any], rows: np.ndarray, heads: list[str], settings: Settings,
             device: Any, batch_size: int = 1024) -> dict[str, float]:
    """Validation metrics over ``rows`` (no symmetry): move accuracy, policy cross-entropy,
    value MSE, each aux loss, and ``loss`` (weighted as in training): what "best" means."""
    import torch

    sums = {"policy": 0.0, "value": 0.0, **{f"aux/{h}": 0.0 for h in heads}}
    correct = targets = aux_rows = 0
    policy.eval()
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            batch = take(data, rows[start:start + batch_size])
            parts = losses(policy, batch, heads, device)
            sums["policy"] += float(parts["policy"]) * parts["targets"]
            sums["value"] += float(parts["value"]) * len(batch["action"])
            for h in heads:
                sums[f"aux/{h}"] += float(parts[f"aux/{h}"]) * parts["aux_rows"]
            correct, targets, aux_rows = correct + parts["correct"], targets + parts["targets"], \
                aux_rows + parts["aux_rows"]
    policy.train()
    metrics = {"accuracy": correct / max(targets, 1), "policy": sums["policy"] / max(targets, 1),
               "value_mse": sums["value"] / max(len(rows), 1),
               **{f"aux/{h}": sums[f"aux/{h}"] / max(aux_rows, 1) for h in heads}}
    metrics["loss"] = metrics["policy"] + settings.value_coef * metrics["value_mse"] + sum(
        float(settings.aux_coef.get(h, 1.0)) * metrics[f"aux/{h}"] for h in heads)
    return metrics


def lr_scale(step: int, total_steps: int | None, elapsed: float, time_limit: float | None, warmup: int) -> float:
    """Linear warmup, then a cosine to 0 over the run: the further along of steps and time."""
    progress = 0.0
    if total_steps:
        progress = step / total_steps
    if time_limit:
        progress = max(progress, elapsed / time_limit)
    warm = min(1.0, (step + 1) / warmup) if warmup > 0 else 1.0
    return warm * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


# -- training ---------------------------------------------------------------------------------
def imitate(policy: Any, data: Mapping[str, Any], *, symmetry: str | None, settings: Settings,
            save: Callable[[dict[str, Any], dict[str, Any]], None],
            log: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """Train ``policy`` on ``data`` (the demonstration format); ``save(weights, metrics)`` is
    called with every new best (by validation loss, checked after every epoch and at the end),
    so what is on disk is always the best so far. Returns a summary."""
    import torch

    device = torch.device(settings.device)
    policy.to(device).train()
    rng = np.random.default_rng(settings.seed)
    train_rows, val_rows = split_games(np.asarray(data["game"]), settings.val_fraction, rng)
    if not len(train_rows):
        raise UserError(f"{len(val_rows):,} positions from one game: imitation needs 2 games or more "
                        "(one is held out to validate)")
    heads = aux_heads(policy, data)
    if symmetry not in (None, "dihedral"):
        raise UserError(f"unknown teacher symmetry {symmetry!r} (known: 'dihedral' or None)")
    n = int(data["obs"].shape[-1])
    epochs = settings.epochs if settings.epochs or settings.time_limit_s else DEFAULT_EPOCHS
    steps_per_epoch = max(1, math.ceil(len(train_rows) / settings.batch_size))
    total_steps = epochs * steps_per_epoch if epochs else None
    opt = torch.optim.AdamW(policy.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    best: dict[str, Any] = {"loss": math.inf}
    history: list[dict[str, Any]] = []
    step, epoch = 0, 0
    t0 = last_log = time.perf_counter()
    n_games = len(np.unique(np.asarray(data["game"])))
    log(f"imitation: {len(train_rows):,} training positions, {len(val_rows):,} validation positions "
        f"({n_games} games, {len(np.unique(np.asarray(data['game'])[val_rows]))} held out); "
        f"aux heads {heads or 'none'}; symmetry {symmetry or 'none'}")

    def finish_epoch(partial: bool) -> None:
        metrics = validate(policy, data, val_rows, heads, settings, device)
        row = {"epoch": epoch + 1, "step": step, "wall_s": time.perf_counter() - t0,
               "partial": partial, **{f"train_{k}": v for k, v in running_means().items()},
               **{f"val_{k}": v for k, v in metrics.items()}}
        history.append(row)
        improved = metrics["loss"] < best["loss"]
        if improved:
            best.update(metrics, epoch=row["epoch"], step=step)
            save({k: v.detach().cpu().clone() for k, v in policy.state_dict().items()}, row)
        aux = "".join(f" {k.split('/')[1]} {v:.3f}" for k, v in metrics.items() if k.startswith("aux/"))
        log(f"epoch {row['epoch']}{' (partial)' if partial else ''} {format_duration(row['wall_s'])}: "
            f"train acc {row.get('train_accuracy', 0):.3f} | val acc {metrics['accuracy']:.3f} "
            f"ce {metrics['policy']:.3f} value mse {metrics['value_mse']:.3f}{aux} "
            f"loss {metrics['loss']:.3f}{' (best)' if improved else ''}")

    sums: dict[str, float] = {}

    def running_means() -> dict[str, float]:
        return {"accuracy": sums.get("correct", 0) / max(sums.get("targets", 0), 1),
                "loss": sums.get("loss", 0.0) / max(sums.get("batches", 0), 1)}

    stopped_by = None
    with StopSignals() as stop:
        stop.armed = True
        try:
            while stopped_by is None:
                sums.clear()
                order = rng.permutation(train_rows)
                for start in range(0, len(order), settings.batch_size):
                    batch = take(data, order[start:start + settings.batch_size])
                    if symmetry == "dihedral":
                        batch = augment(batch, rng.integers(0, 8, size=len(batch["action"])), n)
                    elapsed = time.perf_counter() - t0
                    for group in opt.param_groups:
                        group["lr"] = settings.lr * lr_scale(step, total_steps, elapsed, settings.time_limit_s,
                                                             settings.warmup_steps)
                    parts = losses(policy, batch, heads, device)
                    loss = total_loss(parts, heads, settings)
                    if not torch.isfinite(loss):
                        raise UserError(f"imitation diverged (loss {loss.item()}) at step {step + 1}; "
                                        f"try a smaller learning rate than {settings.lr}")
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
                    opt.step()
                    step += 1
                    for key, value in (("loss", loss.item()), ("batches", 1), ("correct", parts["correct"]),
                                       ("targets", parts["targets"])):
                        sums[key] = sums.get(key, 0) + value
                    now = time.perf_counter()
                    if now - last_log >= settings.log_every_s:
                        last_log = now
                        means = running_means()
                        log(f"epoch {epoch + 1} step {step:,}: loss {means['loss']:.3f} "
                            f"train acc {means['accuracy']:.3f} lr {opt.param_groups[0]['lr']:.2e} "
                            f"elapsed {format_duration(now - t0)}")
                    if stop.requested is not None:
                        stopped_by = "signal"
                    elif settings.time_limit_s is not None and now - t0 >= settings.time_limit_s:
                        stopped_by = "time limit"
                    if stopped_by:
                        break
                finish_epoch(partial=stopped_by is not None)
                if stopped_by is None:
                    epoch += 1
                    if epochs and epoch >= epochs:
                        stopped_by = "epochs"
        except Interrupted as exc:  # a second signal while validating or saving
            raise Interrupted(exc.signum, "aborted while pretraining; the checkpoint holds the best epoch "
                                          "validated before it") from None
    wall = time.perf_counter() - t0
    return {"steps": step, "epochs": step / steps_per_epoch, "seconds_per_epoch": wall * steps_per_epoch / max(step, 1),
            "wall_s": wall,
            "train_positions": len(train_rows), "val_positions": len(val_rows),
            "games": n_games, "val_games": len(np.unique(np.asarray(data["game"])[val_rows])),
            "best": {k: v for k, v in best.items()}, "history": history, "stopped_by": stopped_by,
            "interrupted": stopped_by == "signal", "signal": stop.requested, "aux_heads": heads}


# -- the command ------------------------------------------------------------------------------
def teacher_command(registry: Any, *, env: str | None, teacher: str, games: int | None, workers: int,
                    data_path: str | None, epochs: int | None, time_limit_s: float | None,
                    config_file: dict[str, Any] | None, sets: tuple[str, ...] | list[str], seed: int | None,
                    out: str | None, device: str, quiet: bool = False,
                    stream: IO[str] | None = None) -> dict[str, Any]:
    """``agentctl pretrain --env ENV --teacher NAME[:ARG]``: generate (or continue) the teacher's
    games, replay them into demonstrations, train the env's policy on them, write ``out``."""
    import torch
    from agentctl.assemble import build_policy, make_envs, resolve_device, use_torch_threads
    from agentctl.config import parse_set, resolve
    from agentctl.seeding import Stream, int_seed

    stream = stream if stream is not None else sys.stderr

    def log(line: str) -> None:
        if not quiet:
            print(f"agentctl: {line}", file=stream, flush=True)

    if env is None:
        raise UserError("--teacher needs --env: the env whose policy learns from the teacher (e.g. --env go)")
    spec = registry.resolve("env", env)
    if spec.kind == "sequence":
        raise UserError(f"env {spec.name!r} is a text env: pretrain it without --teacher "
                        "(next-token training on a corpus)")
    base, _, arg = teacher.partition(":")
    teacher_spec = registry.resolve("teacher", base)
    if teacher_spec.env not in ("*", spec.name, spec.qualified_name):
        raise UserError(f"teacher {base!r} plays env {teacher_spec.env!r}, not {spec.name!r}")
    if games is None:
        raise UserError("--teacher needs --games N: how many teacher games to train on")
    if games < 1:
        raise UserError(f"--games must be >= 1, got {games}")
    if workers < 1:
        raise UserError(f"--workers must be >= 1, got {workers}")
    if epochs is not None and epochs < 1:
        raise UserError(f"--epochs must be >= 1, got {epochs}")
    if time_limit_s is not None and time_limit_s <= 0:
        raise UserError(f"--time-limit must be > 0 seconds, got {time_limit_s}")
    overrides = parse_set(sets)
    if seed is not None:
        overrides["seed"] = seed
    cfg = resolve(spec.default_config, config_file or {}, overrides)
    dev = resolve_device(device)
    out_path = Path(out or "pretrained.pt")
    data_file = Path(data_path) if data_path else out_path.parent / "teacher_games.jsonl"
    if data_file.resolve() == out_path.resolve():
        raise UserError(f"--data and --out are the same file ({out_path})")

    # The policy first: a config that cannot build it fails before any game is played.
    use_torch_threads(cfg)
    torch.manual_seed(int_seed(cfg.seed, Stream.INIT))
    probe = make_envs(spec, cfg, num_envs=1, seed=0)
    try:
        policy = build_policy(registry, spec, cfg, probe)
        obs_shape = tuple(probe.observation_space.shape)
        num_actions = int(probe.action_space.n) if hasattr(probe.action_space, "n") else None
    finally:
        close = getattr(probe, "close", None)
        if close is not None:
            close()
    if num_actions is None:
        raise UserError(f"env {spec.name!r} has a {type(probe.action_space).__name__} action space; "
                        "imitation trains policies over one discrete action")
    source = teacher_spec.load()(arg or None, seed=cfg.seed, env_kwargs=dict(cfg.env_kwargs))

    data_file.parent.mkdir(parents=True, exist_ok=True)
    t_gen = time.perf_counter()
    before = _count_lines(data_file)
    shown = [t_gen]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - shown[0] >= 10 or done == total:
            shown[0] = now
            rate = (done - before) / max(now - t_gen, 1e-9) * 3600
            log(f"teacher games {done:,}/{total:,} ({rate:,.0f} games/hour) -> {data_file}")

    if before < games:
        log(f"generating {games - before:,} {teacher} games ({before:,} already in {data_file}) "
            f"with {workers} worker(s)")
    held = source.generate(str(data_file), games, workers=workers, progress=progress)
    gen_s = time.perf_counter() - t_gen
    played = max(held - before, 0)
    t_load = time.perf_counter()
    data = source.load(str(data_file))
    if held > games:  # a file generated further than asked: train on the first ``games``
        data = take_games(data, games)
    rows = check_data(data, obs_shape, num_actions)
    log(f"{len(np.unique(data['game'])):,} games, {rows:,} positions ({int(np.sum(data['teacher'])):,} teacher "
        f"moves) replayed in {time.perf_counter() - t_load:.1f}s"
        + (f"; played {played:,} games in {format_duration(gen_s)} "
           f"({played / max(gen_s, 1e-9) * 3600:,.0f} games/hour)" if played else ""))

    settings = Settings(epochs=epochs, time_limit_s=time_limit_s, seed=int_seed(cfg.seed, Stream.ACTIONS),
                        device=str(dev), aux_coef=dict(getattr(cfg, "aux_coef", None) or {}))
    meta = {"teacher": teacher, "data": str(data_file), "games": games, "positions": rows}

    def save(weights: dict[str, Any], metrics: dict[str, Any]) -> None:
        state = {"format": 1, "kind": "imitation", "env": spec.qualified_name, "env_kind": spec.kind,
                 "config": cfg.to_dict(), "model": weights, "imitation": {**meta, **metrics}}
        ckpt.write_atomic(state, out_path, "pretrained checkpoint")

    summary = imitate(policy, data, symmetry=getattr(source, "symmetry", None), settings=settings, save=save, log=log)
    summary.update(meta, checkpoint=str(out_path) if out_path.exists() else None, env=spec.name,
                   generation_s=gen_s, games_played=played,
                   games_per_hour=played / gen_s * 3600 if played and gen_s > 0 else None)
    return summary


def _count_lines(path: Path) -> int:
    """Complete games (JSON lines) already in ``path``."""
    if not path.is_file():
        return 0
    with path.open() as f:
        return sum(1 for line in f if line.rstrip("\n").endswith("}"))

