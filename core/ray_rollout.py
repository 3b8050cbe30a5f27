"""Rollout workers on Ray: ``agentctl train --backend ray --num-workers N``.

The learner keeps the PPO update exactly as it is; only *collecting* moves. Each worker is a
Ray actor that owns a slice of the run's ``num_envs`` envs (made from the env's registered
name and the run's config, as the learner would make them, but on its own seed streams) and
a copy of the policy. Every update the learner puts its weights in Ray's object store once
(``ray.put``), each worker loads them, collects one rollout on its envs and sends it back as
one object; the learner concatenates the rollouts along the env axis. GAE runs per env, so
the update sees one ``[T, num_envs]`` rollout just as with local envs (synchronous on-policy).

- ``single`` and ``multi`` kinds: :class:`RayCollector` has the :class:`~agentctl.ppo.rollout.Collector`
  interface (``collect(policy, generator) -> (Rollout, finished)``). In self-play each worker
  runs its own opponent pool; the learner's pool writes the snapshot files (into the run dir,
  as always) and the workers get the pool's current snapshots through the object store (each
  snapshot's weights are put once), so a cluster needs no shared disk. ``latest`` is the
  worker's copy of the learner, refreshed every update.
- ``sequence`` kind: workers sample the completions *and score them* (for codegen the sandbox
  is the expensive part); the learner recomputes every log-prob and value itself, exactly as a
  local run does, so its math is unchanged (:class:`RaySequenceCollector`).

Worker ``i`` seeds its envs from ``int_seed(seed, Stream.ENVS, i)`` and samples with a torch
generator from ``int_seed(seed, Stream.ACTIONS, i)``, so a run repeats for a fixed worker count.

Faults: a worker that dies (its process killed, its node lost) is replaced by a fresh one on a
new seed stream and its share of the rollout is collected again, with a warning; a worker that
keeps dying is dropped and the run goes on with fewer envs. Checkpoints are written by the
learner alone, so a dead worker never touches one. Worker env state is not checkpointed: a
resumed Ray run restarts the workers' envs from reset (and says so).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from agentctl.config import PPOConfig
from agentctl.errors import EnvFailed, UserError, first_line
from agentctl.ppo.rollout import Collector, Rollout
from agentctl.registry import EnvSpec, Registry
from agentctl.seeding import Stream, int_seed

INSTALL = "--backend ray needs Ray, which is not installed: pip install 'agentctl[ray]'"
MAX_RESTARTS = 3  # per worker slot; after that the run continues without it


@dataclass(frozen=True)
class RayOptions:
    """Where and how many workers: ``address`` None starts a local Ray, else joins that cluster."""

    num_workers: int = 2
    address: str | None = None


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError(INSTALL) from None
    return ray


def worker_seed(seed: int, stream: Stream, index: int, epoch: tuple[int, int] = (0, 0)) -> int:
    """Worker ``index``'s seed on ``stream``. ``epoch`` = (update the run resumed at, restarts of
    this worker): (0, 0) in a fresh run; any other value is a fresh stream, so a resumed or
    replaced worker does not replay its predecessor's episodes."""
    return int_seed(seed, stream, index) if epoch == (0, 0) else int_seed(seed, stream, index, *epoch)


def split(num_envs: int, workers: int, unit: int = 1) -> list[int]:
    """Envs per worker: as even as possible, each a multiple of ``unit`` (a GRPO group)."""
    units = num_envs // unit
    if num_envs % unit or units < workers:
        need = f"a multiple of {unit} (group_size) and " if unit > 1 else ""
        raise UserError(f"--num-workers {workers}: num_envs ({num_envs}) must be {need}at least {workers * unit} "
                        f"so every worker gets envs; raise num_envs or use fewer workers")
    return [(units // workers + (i < units % workers)) * unit for i in range(workers)]


def cpu_weights(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The weights as tensors of their own: a trainer's parameters are views of one flat
    tensor, and pickling a view carries its whole storage (12x the bytes for a 3-layer MLP)."""
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


# -- the worker (a plain class: Ray wraps it as an actor; tests can also run it in-process) --
class RolloutWorker:
    """One worker: its slice of envs, a copy of the policy, its own seed streams."""

    def __init__(self, env: str, cfg: PPOConfig, index: int, num_envs: int, epoch: tuple[int, int] = (0, 0),
                 registry: Registry | None = None) -> None:
        from agentctl.assemble import (
            build_policy,
            build_selfplay,
            default_registry,
            make_envs,
            use_torch_threads,
        )

        registry = default_registry(registry)
        spec = registry.resolve("env", env)
        use_torch_threads(cfg)
        self.cfg, self.kind, self.num_envs = cfg, spec.kind, num_envs
        env_seed = worker_seed(cfg.seed, Stream.ENVS, index, epoch)
        torch.manual_seed(worker_seed(cfg.seed, Stream.INIT, index, epoch))  # weights come from the learner
        envs = make_envs(spec, cfg, num_envs=num_envs, seed=env_seed)
        self.policy = build_policy(registry, spec, cfg, envs).eval()
        self.generator = torch.Generator()
        self.generator.manual_seed(worker_seed(cfg.seed, Stream.ACTIONS, index, epoch))
        self.snapshot_dir = None
        self.local_snapshots: dict[str, str] = {}  # the learner's snapshot path -> this worker's copy
        if spec.kind == "sequence":
            from agentctl.text.scoring import build_scorer

            self.task = envs
            self.scorer = build_scorer(registry, cfg.reward or envs.reward)
            self.group = cfg.group_size if cfg.advantage in ("grpo", "rloo") else 1
            return
        if spec.kind == "multi":
            envs = build_selfplay(registry, spec, cfg, envs, self.policy, cfg.opponents, None,
                                  worker_seed(cfg.seed, Stream.SELFPLAY, index, epoch), both_seats=cfg.both_seats)
        self.envs = envs
        self.collector = Collector(envs, cfg.num_steps, torch.device("cpu"), env_seed)

    def describe(self) -> dict[str, Any]:
        """This worker's process id, env count and the learner snapshots its pool plays (for checks)."""
        mine = {local: path for path, local in self.local_snapshots.items()}
        pool = getattr(getattr(self, "envs", None), "pool", None)
        return {"pid": os.getpid(), "num_envs": self.num_envs,
                "snapshots": [] if pool is None else [mine[p] for p in pool.snapshots]}

    def _use_snapshots(self, snapshots: list[tuple[str, Any]]) -> None:
        """Make the pool's snapshot list the learner's: weights new to this worker are written
        to its own temp dir once (the pool loads snapshots from files)."""
        import ray

        pool = self.envs.pool
        if self.snapshot_dir is None:
            self.snapshot_dir = tempfile.mkdtemp(prefix="agentctl-worker-snapshots-")
        for path, weights in snapshots:
            if path not in self.local_snapshots:
                local = os.path.join(self.snapshot_dir, os.path.basename(path))
                if isinstance(weights, ray.ObjectRef):
                    weights = ray.get(weights)
                torch.save({"format": 1, "model": weights}, local)
                self.local_snapshots[path] = local
        pool.snapshots = [self.local_snapshots[path] for path, _ in snapshots]

    def collect(self, weights: dict[str, torch.Tensor], snapshots: list[tuple[str, Any]] | None = None
                ) -> tuple[Any, float]:
        """One rollout with the learner's ``weights`` -> (result, seconds spent collecting it).
        The result: (rollout as numpy arrays, finished episodes), or for a sequence task
        (prompts, Generation, texts, scores)."""
        self.policy.load_state_dict(weights)
        if snapshots is not None and hasattr(self, "envs") and hasattr(self.envs, "pool"):
            self._use_snapshots(snapshots)
        start = time.perf_counter()
        if self.kind == "sequence":
            return self._complete(), time.perf_counter() - start
        rollout, finished = self.collector.collect(self.policy, self.generator)
        return (as_arrays(rollout), finished), time.perf_counter() - start

    @torch.no_grad()
    def _complete(self) -> tuple[list[str], Any, list[str], Any]:
        from agentctl.text.generate import complete

        cfg, task = self.cfg, self.task
        prompts = [p for p in task.sample_prompts(self.num_envs // self.group) for _ in range(self.group)]
        gen, texts = complete(self.policy, prompts, cfg.num_steps, temperature=cfg.temperature,
                              generator=self.generator, stop=task.stop, min_new_tokens=task.min_new_tokens)
        return prompts, gen, texts, self.scorer(prompts, texts)

    def close(self) -> None:
        (self.task if self.kind == "sequence" else self.envs).close()


# -- the learner's side ---------------------------------------------------------------------
class WorkerGang:
    """The learner's handle on its workers: start them, call them all once per update, and
    replace (or drop) a worker that died."""

    def __init__(self, spec: EnvSpec, cfg: PPOConfig, options: RayOptions, resumed_at: int = 0) -> None:
        ray = import_ray()
        self.ray = ray
        self.started_ray = not ray.is_initialized()
        if self.started_ray:
            try:
                ray.init(address=options.address, include_dashboard=False, log_to_driver=True,
                         configure_logging=False)
            except ConnectionError as exc:
                raise UserError(f"cannot join the Ray cluster at {options.address!r}: {first_line(exc)}; "
                                "check --ray-address (ray start --head prints it)") from None
        self.spec, self.cfg = spec, cfg
        unit = cfg.group_size if spec.kind == "sequence" and cfg.advantage in ("grpo", "rloo") else 1
        self.sizes = split(cfg.num_envs, options.num_workers, unit)
        cpus = ray.cluster_resources().get("CPU", 1.0)
        self.actor_class = ray.remote(num_cpus=min(1.0, cpus / options.num_workers))(RolloutWorker)
        self.resumed_at = resumed_at
        self.restarts = 0
        self.worker_s = 0.0  # the slowest worker's collecting time in the last call
        self.overhead_s = 0.0  # the learner's waits beyond the slowest worker's work, summed over calls
        self.calls = 0
        self.deaths = [0] * options.num_workers  # of each worker slot; a restart takes a fresh stream
        self.served = [False] * options.num_workers  # the slot has delivered a rollout
        self.workers: list[Any] = [None] * options.num_workers
        for i in range(options.num_workers):
            self._start(i)

    def _start(self, i: int) -> None:
        self.workers[i] = self.actor_class.remote(self.spec.qualified_name, self.cfg, i, self.sizes[i],
                                                  (self.resumed_at, self.deaths[i]))

    def call(self, *args: Any) -> list[Any]:
        """``collect(*args)`` on every live worker, one result per worker (in worker order)."""
        ray = self.ray
        pending = {i: w.collect.remote(*args) for i, w in enumerate(self.workers) if w is not None}
        results: dict[int, Any] = {}
        seconds: dict[int, float] = {}
        while pending:
            i, ref = next(iter(pending.items()))
            try:
                results[i], seconds[i] = ray.get(ref)
                self.served[i] = True
                del pending[i]
            except ray.exceptions.RayActorError as exc:  # ActorDiedError too: the process is gone
                del pending[i]
                if not self.served[i]:  # it never worked: a bad env or config, not a lost worker
                    raise UserError(f"Ray rollout worker {i} failed to start: {first_line(exc)[:300]}") from None
                if self._replace(i, exc):
                    pending[i] = self.workers[i].collect.remote(*args)
            except ray.exceptions.RayTaskError as exc:  # the env (or reward) raised inside the worker
                cause = getattr(exc, "cause", None)
                if isinstance(cause, UserError):
                    raise cause from None
                raise EnvFailed(f"raised in rollout worker {i}: {first_line(cause or exc)}") from None
        if not results:
            raise UserError("every Ray rollout worker died and could not be restarted; "
                            "the last checkpoint is intact: resume from it")
        self.worker_s = max(seconds.values())
        return [results[i] for i in sorted(results)]

    def _replace(self, i: int, exc: BaseException) -> bool:
        """Start a fresh worker in slot ``i``; False (and the slot is dropped) after MAX_RESTARTS."""
        self.restarts += 1
        self.deaths[i] += 1
        why = first_line(exc)[:200]
        if self.deaths[i] > MAX_RESTARTS:
            self.workers[i] = None
            warnings.warn(f"rollout worker {i} died {self.deaths[i]} times ({why}); continuing on "
                          f"{sum(w is not None for w in self.workers)} workers", RuntimeWarning, stacklevel=3)
            return False
        warnings.warn(f"rollout worker {i} died ({why}); restarted it with fresh envs and collected its "
                      "rollout again", RuntimeWarning, stacklevel=3)
        self._start(i)
        return True

    def add_overhead(self, wall_s: float) -> None:
        """Book one update's collect time beyond the slowest worker's: put, transfer, concatenation."""
        self.overhead_s += wall_s - self.worker_s
        self.calls += 1

    @property
    def live(self) -> int:
        return sum(w is not None for w in self.workers)

    def close(self) -> None:
        for actor in self.workers:
            if actor is not None:
                with contextlib.suppress(Exception):  # already gone
                    self.ray.kill(actor)
        self.workers = [None] * len(self.workers)
        if self.started_ray:
            self.ray.shutdown()


def as_arrays(rollout: Rollout) -> dict[str, Any]:
    """A rollout as numpy arrays: Ray hands those to the learner through shared memory without
    a copy (torch tensors are pickled: 2-3x slower for a Go rollout)."""
    out: dict[str, Any] = {}
    for name, value in vars(rollout).items():
        if isinstance(value, torch.Tensor):
            out[name] = value.numpy()
        elif isinstance(value, dict):
            out[name] = {k: v.numpy() for k, v in value.items()}
        else:
            out[name] = value
    return out


def concat_rollouts(parts: list[dict[str, Any]], device: torch.device) -> Rollout:
    """Workers' ``[T, n_i]`` rollouts (as :func:`as_arrays`) as one ``[T, sum n_i]`` rollout on
    ``device``; the one concatenation is the one copy."""
    import numpy as np

    def tensor(arrays: list[Any]) -> torch.Tensor:
        return torch.from_numpy(np.concatenate(arrays, axis=1)).to(device)

    def cat(name: str) -> torch.Tensor | None:
        values = [p[name] for p in parts]
        if all(v is None for v in values):
            return None
        if name == "signs":  # None means all +1 (the collector's shortcut)
            values = [np.ones(p["rewards"].shape, np.float32) if v is None else v for p, v in zip(parts, values)]
        if name == "aux_valid":
            values = [np.zeros(p["valid"].shape, bool) if v is None else v for p, v in zip(parts, values)]
        return tensor(values)

    aux = None
    names = sorted({n for p in parts for n in (p["aux"] or {})})
    if names:
        aux = {}
        for n in names:
            like = next(p["aux"][n] for p in parts if p["aux"] and n in p["aux"])
            aux[n] = tensor([p["aux"][n] if p["aux"] and n in p["aux"] else
                             np.zeros((*p["valid"].shape, *like.shape[2:]), like.dtype) for p in parts])
    import dataclasses

    fields = {f.name: cat(f.name) for f in dataclasses.fields(Rollout) if f.name not in ("env_steps", "aux")}
    return Rollout(**fields, env_steps=sum(p["env_steps"] for p in parts), aux=aux)


class RayCollector:
    """The trainer's collector when workers hold the envs (``single`` and ``multi`` kinds)."""

    def __init__(self, gang: WorkerGang, device: torch.device, pool: Any = None) -> None:
        self.gang, self.device, self.pool = gang, device, pool
        self._snapshot_refs: dict[str, Any] = {}  # learner snapshot path -> its weights in the object store

    @property
    def num_envs(self) -> int:
        return sum(n for n, w in zip(self.gang.sizes, self.gang.workers) if w is not None)

    def _snapshots(self) -> list[tuple[str, Any]] | None:
        if self.pool is None:
            return None
        ray = self.gang.ray
        for path in self.pool.snapshots:
            if path not in self._snapshot_refs:
                self._snapshot_refs[path] = ray.put(torch.load(path, map_location="cpu", weights_only=False)["model"])
        for path in set(self._snapshot_refs) - set(self.pool.snapshots):
            del self._snapshot_refs[path]
        return [(path, self._snapshot_refs[path]) for path in self.pool.snapshots]

    def collect(self, policy: torch.nn.Module, generator: torch.Generator | None = None
                ) -> tuple[Rollout, list[tuple[float, int]]]:
        """One rollout from every worker with ``policy``'s weights (``generator`` is unused:
        each worker samples with its own)."""
        start = time.perf_counter()
        weights = self.gang.ray.put(cpu_weights(policy))
        results = self.gang.call(weights, self._snapshots())
        finished = [ep for _, eps in results for ep in eps]
        rollout = concat_rollouts([r for r, _ in results], self.device)
        self.gang.add_overhead(time.perf_counter() - start)
        return rollout, finished

    def state_dict(self) -> dict[str, Any]:
        return {"ray_workers": len(self.gang.workers), "restarts": self.gang.restarts}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Nothing to restore: the workers were started on the resumed update's streams."""

    def load_statistics(self, state: dict[str, Any]) -> None:
        """No observation/reward statistics to restore: Ray runs do not normalise (refused)."""


def pad_cat(parts: list[torch.Tensor], value: int, left: bool) -> torch.Tensor:
    """Concatenate ``[B_i, W_i]`` along rows, padding each to the widest (left for prompts,
    right for responses); padding is masked everywhere, so it changes no number."""
    width = max(p.shape[1] for p in parts)
    out = []
    for p in parts:
        pad = torch.full((p.shape[0], width - p.shape[1]), value, dtype=p.dtype)
        out.append(torch.cat([pad, p] if left else [p, pad], 1))
    return torch.cat(out, 0)


class RaySequenceCollector:
    """Workers sample and score completions; the learner gets (prompts, Generation, texts, scores)."""

    def __init__(self, gang: WorkerGang, device: torch.device, pad_id: int) -> None:
        self.gang, self.device, self.pad_id = gang, device, pad_id

    def collect(self, policy: torch.nn.Module, n: int) -> tuple[list[str], Any, list[str], Any]:
        import numpy as np
        from agentctl.text.generate import Generation

        start = time.perf_counter()
        results = self.gang.call(self.gang.ray.put(cpu_weights(policy)))
        gens = [g for _, g, _, _ in results]
        gen = Generation(
            query=pad_cat([g.query for g in gens], self.pad_id, left=True).to(self.device),
            query_mask=pad_cat([g.query_mask for g in gens], 0, left=True).to(self.device),
            response=pad_cat([g.response for g in gens], self.pad_id, left=False).to(self.device),
            response_mask=pad_cat([g.response_mask for g in gens], 0, left=False).to(self.device),
            ended=torch.cat([g.ended for g in gens]).to(self.device),
        )
        prompts = [p for r in results for p in r[0]]
        texts = [t for r in results for t in r[2]]
        scores = np.concatenate([np.asarray(r[3], dtype=np.float64) for r in results])
        self.gang.add_overhead(time.perf_counter() - start)
        return prompts, gen, texts, scores

    def close(self) -> None:
        self.gang.close()


class RayEnvs:
    """What the trainer and the run see as ``envs`` when workers hold them: the batch size,
    the learner's opponent pool (self-play: it writes the snapshots) and ``close``. Not
    picklable, so a checkpoint stores no env state (a resume restarts the workers' envs)."""

    def __init__(self, gang: WorkerGang, collector: RayCollector, pool: Any = None, local: Any = None) -> None:
        self.gang, self.collector = gang, collector
        if pool is not None:
            self.pool = pool
        self._local = local  # the learner's own one-env copy, kept for its fixed opponents' close()

    @property
    def num_envs(self) -> int:
        return self.collector.num_envs

    def close(self, **_: Any) -> None:
        self.gang.close()
        if self._local is not None:
            self._local.close()
            self._local = None

    def __reduce__(self) -> Any:
        raise TypeError("Ray rollout workers are not picklable")


class RaySelfPlayEnvs(RayEnvs):
    """Self-play: the checkpoint keeps the pool (its snapshot list and RNGs), not the games."""

    def state_dict(self) -> dict[str, Any]:
        return {"games": None, "pool": self.pool.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.pool.load_state_dict(state["pool"])


class RayTask:
    """A sequence trainer's ``envs`` when workers sample: the learner's task (stop rules,
    ``min_new_tokens``) whose ``close`` also stops the workers."""

    def __init__(self, task: Any, gang: WorkerGang) -> None:
        self._task, self._gang = task, gang

    def __getattr__(self, name: str) -> Any:
        return getattr(self._task, name)

    def close(self) -> None:
        self._gang.close()
        self._task.close()


def attach_workers(trainer: Any, spec: EnvSpec, cfg: PPOConfig, options: RayOptions,
                   state: dict[str, Any] | None) -> None:
    """Move ``trainer``'s collecting onto Ray workers. ``state``: the checkpoint being resumed,
    whose env state (of either backend) is fitted so the trainer loads it."""
    if getattr(cfg, "normalize_obs", False) or getattr(cfg, "normalize_reward", False):
        trainer.envs.close()  # each worker would keep its own running statistics, the learner none
        raise UserError("--backend ray does not support normalize_obs / normalize_reward yet: drop them, "
                        "or train with the local backend")
    # A resumed run's workers start on streams of the update it resumes at: fresh envs, new episodes.
    gang = WorkerGang(spec, cfg, options, resumed_at=0 if state is None else state["trainer"].get("update", 0))
    try:
        if spec.kind == "sequence":
            trainer.collector = RaySequenceCollector(gang, trainer.device, trainer.policy.tokenizer.pad_id)
            trainer.envs = RayTask(trainer.envs, gang)
        else:
            local = trainer.envs
            pool = getattr(local, "pool", None)
            trainer.collector = RayCollector(gang, trainer.device, pool)
            trainer.envs = (RaySelfPlayEnvs if pool is not None else RayEnvs)(gang, trainer.collector, pool, local)
        if state is not None:
            fit_resumed(state["trainer"], spec.kind)
    except BaseException:
        gang.close()
        raise


def fit_resumed(trainer_state: dict[str, Any], kind: str) -> None:
    """A checkpoint resumed on Ray workers: pickled local envs cannot go to the workers, so they
    restart from reset (the trainer warns); a self-play pool's state is kept."""
    if kind == "sequence":
        warnings.warn("resuming on Ray workers: their prompt order restarts on fresh streams", stacklevel=3)
        return
    if not isinstance(trainer_state.get("envs"), dict):  # bytes of pickled local envs, or None
        trainer_state["envs"] = None
    else:
        warnings.warn("resuming on Ray workers: their games restart from reset, so the resumed run "
                      "is not bit-exact", stacklevel=3)


def fit_local(trainer: Any, trainer_state: dict[str, Any]) -> None:
    """A Ray run's checkpoint resumed on local envs: they start from reset (the checkpoint has
    no env state to give them); a self-play pool's snapshots and RNGs are kept."""
    if "ray_workers" not in (trainer_state.get("collector") or {}):
        return
    if isinstance(trainer_state.get("envs"), dict):
        trainer_state["collector"] = trainer.collector.state_dict()  # the fresh envs' own
        warnings.warn("resuming a Ray run on local envs: the games restart from reset, so the resumed "
                      "run is not bit-exact", stacklevel=3)
