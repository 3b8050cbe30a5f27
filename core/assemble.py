"""The kit that builds what a run plays with: devices, envs, policies, opponents, self-play.

Training (``agentctl.run``), evaluation, the ladder, plugin checks and plugins that play
(Go's ``gtp``) all build their pieces here, so an env is made, a policy built or a
checkpoint's weights loaded in exactly one way. Nothing here owns a run directory or a loop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import agentctl
from agentctl import checkpoint as ckpt
from agentctl.config import PPOConfig, resolve
from agentctl.errors import UserError, first_line
from agentctl.registry import EnvSpec, Registry
from agentctl.seeding import Stream, int_seed


def default_registry(registry: Registry | None) -> Registry:
    """``registry`` or, when None, the installed plugins' registry."""
    if registry is not None:
        return registry
    from agentctl.host import get_host

    return get_host().registry


def resolve_device(name: str) -> Any:
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError("--device cuda requested but no CUDA GPU is available; use --device cpu")
    index = name.partition(":")[2]
    if index.isdigit() and int(index) >= torch.cuda.device_count():
        raise UserError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                        f"cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    return torch.device(name)


def use_torch_threads(cfg: PPOConfig) -> None:
    """The process settings of a run, for training and playing alike: the run's torch thread
    count (small nets on a busy machine run many times slower with torch's default of one thread
    per core), and freed memory kept for reuse (:mod:`agentctl.malloc`)."""
    import torch
    from agentctl.malloc import keep_freed_memory

    keep_freed_memory()  # the same large buffers every step: reuse them (see agentctl.malloc)
    if cfg.torch_threads > 0:
        torch.set_num_threads(cfg.torch_threads)
    if torch.get_num_threads() > 1 and agentctl.OPENMP_SPINS:
        import warnings

        warnings.warn(f"torch was imported before agentctl with OpenMP's default wait policy: with "
                      f"{torch.get_num_threads()} threads on a busy machine idle threads spin and a run can be many "
                      "times slower; set OMP_WAIT_POLICY=PASSIVE before starting Python (or import agentctl "
                      "before torch)", stacklevel=2)


def make_envs(spec: EnvSpec, cfg: PPOConfig, num_envs: int | None = None, seed: int | None = None) -> Any:
    """The env factory's product: a Gymnasium VectorEnv ('single'), TurnBasedGames ('multi';
    simultaneous games come wrapped as turns) or a SequenceTask ('sequence').
    ``seed`` defaults to the run's env stream."""
    try:
        envs = spec.make(num_envs=num_envs or cfg.num_envs,
                         seed=int_seed(cfg.seed, Stream.ENVS) if seed is None else seed, **cfg.env_kwargs)
    except UserError:
        raise
    except Exception as exc:
        first = first_line(exc)
        if isinstance(exc, TypeError) and "keyword argument" in first:  # an env_kwargs key it does not take
            raise UserError(f"env {spec.name!r} cannot be made with env_kwargs {dict(cfg.env_kwargs)}: "
                            f"{first}") from exc
        raise UserError(f"env {spec.name!r} (plugin {spec.plugin!r}) failed to start: "
                        f"{type(exc).__name__}: {first}") from exc
    if spec.kind == "sequence":
        from agentctl.sequences import as_task

        return as_task(envs, spec.name)
    if spec.kind == "multi":
        from agentctl.contracts import SimultaneousGames, TurnBasedGames

        if isinstance(envs, TurnBasedGames):
            return envs
        if isinstance(envs, SimultaneousGames):
            from agentctl.games import SimultaneousTurns

            return SimultaneousTurns(envs)
        raise UserError(f"multi-agent env {spec.name!r} must return TurnBasedGames or SimultaneousGames "
                        f"(see agentctl.contracts), got {type(envs).__name__}")
    return envs


def policy_builder(registry: Registry, spec: EnvSpec, cfg: PPOConfig, observation_space: Any,
                   action_space: Any) -> Callable[[], Any]:
    """A zero-argument function that builds a fresh policy for this env (used for snapshots too)."""
    from agentctl.ppo.rollout import inner_space

    policy_spec = registry.resolve("policy", cfg.policy or spec.policy)
    builder = policy_spec.load()
    obs_space = inner_space(observation_space)

    def build() -> Any:
        try:
            return builder(obs_space, action_space, **cfg.policy_kwargs)
        except (TypeError, ValueError, RuntimeError) as exc:
            # name the kwargs: some come from the env's defaults, not from the user's --set
            kwargs = f" with policy_kwargs {dict(cfg.policy_kwargs)}" if cfg.policy_kwargs else ""
            raise UserError(f"policy {policy_spec.name!r} cannot be built for env {spec.name!r}{kwargs}: "
                            f"{first_line(exc)}") from exc

    return build


def build_policy(registry: Registry, spec: EnvSpec, cfg: PPOConfig, envs: Any) -> Any:
    """A fresh policy for ``envs`` (a vector env, a multi env's TurnBasedGames, or a sequence
    task: language models bring their own tokenizer, so their builders get no spaces)."""
    if spec.kind == "sequence":
        return policy_builder(registry, spec, cfg, None, None)()
    if spec.kind == "multi":
        return policy_builder(registry, spec, cfg, envs.observation_space, envs.action_space)()
    return policy_builder(registry, spec, cfg, envs.single_observation_space, envs.single_action_space)()


def load_error(exc: BaseException) -> str:
    """The line of a ``load_state_dict`` error that says what does not fit (the first size
    mismatch or missing/unexpected key), not torch's whole dump."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("size mismatch", "Missing key", "Unexpected key")):
            return line if len(line) < 300 else line[:297] + "..."
    return lines[0] if lines else type(exc).__name__


def trained_on(state: dict[str, Any], registry: Registry) -> tuple[EnvSpec, PPOConfig]:
    """The env spec and config a training checkpoint was made with."""
    if "env" not in state:
        raise UserError(f"{state.get('path', 'the checkpoint')} is a weights-only snapshot; "
                        "load it with its run's env and config")
    return registry.resolve("env", state["env"]), resolve(state["config"])


def load_policy(source: str | Path | dict[str, Any], registry: Registry | None = None, *,
                spec: EnvSpec | None = None, cfg: PPOConfig | None = None,
                env_kwargs: dict[str, Any] | None = None, device: str = "cpu") -> tuple[Any, EnvSpec, PPOConfig]:
    """(policy in eval mode, env spec, config) from a checkpoint file, run dir, self-play
    snapshot file, or an already loaded checkpoint dict.

    Snapshot files hold weights only: pass the ``spec`` and ``cfg`` of the env they play.
    ``env_kwargs`` override the run's (e.g. another board size for a size-agnostic net).
    """
    registry = default_registry(registry)
    state = source if isinstance(source, dict) else ckpt.load(source)
    where = state.get("path", "the checkpoint")
    weights = state["trainer"]["model"] if "trainer" in state else state.get("model")
    if weights is None:
        raise UserError(f"{where} holds no policy weights")
    if spec is not None and state.get("env") not in (None, spec.name, spec.qualified_name):
        raise UserError(f"{where} is a checkpoint of env {state['env']!r}, not {spec.qualified_name!r}")
    if spec is None or cfg is None:
        run_spec, run_cfg = trained_on(state, registry)
        spec, cfg = spec or run_spec, cfg or run_cfg
    if env_kwargs:
        cfg = dataclasses.replace(cfg, env_kwargs={**cfg.env_kwargs, **env_kwargs})
    use_torch_threads(cfg)
    probe = make_envs(spec, cfg, num_envs=1, seed=0)
    try:
        policy = build_policy(registry, spec, cfg, probe)
    finally:
        close = getattr(probe, "close", None)
        if close is not None:
            close()
    try:
        policy.load_state_dict(weights)
    except RuntimeError as exc:
        raise UserError(f"{where} does not fit env {spec.name!r} with env_kwargs {dict(cfg.env_kwargs)} "
                        f"and policy {cfg.policy or spec.policy!r}: {load_error(exc)}") from exc
    return policy.to(resolve_device(device)).eval(), spec, cfg


def init_weights(policy: Any, source: str, registry: Registry, spec: EnvSpec, cfg: PPOConfig) -> None:
    """Load weights into a fresh policy from ``source``: a training checkpoint or run dir, or an
    ``agentctl pretrain`` checkpoint."""
    state = ckpt.load(source)
    where = state.get("path", source)
    weights = state["trainer"]["model"] if "trainer" in state else state.get("model")
    if weights is None:
        raise UserError(f"init {where} holds no policy weights")
    try:
        policy.load_state_dict(weights)
    except RuntimeError as exc:
        raise UserError(f"init {where} does not fit policy {cfg.policy or spec.policy!r} with policy_kwargs "
                        f"{dict(cfg.policy_kwargs)}: {load_error(exc)}") from exc


def make_opponent(registry: Registry, spec: EnvSpec, name: str, cfg: PPOConfig, seed: int) -> Any:
    """``name`` or ``name:arg`` (e.g. ``gnugo:1``) -> an opponent from a plugin, or
    ``snapshot:PATH``: a past policy (checkpoint, run dir or pool snapshot file) sampling moves."""
    base, _, arg = opponent_name(name)
    if base == "snapshot":
        import torch
        from agentctl.selfplay import PolicyOpponent

        module, _, _ = load_policy(arg, registry, spec=spec, cfg=cfg)
        generator = torch.Generator()
        generator.manual_seed(seed)
        return PolicyOpponent(module, generator)
    opp = registry.resolve("opponent", base)
    if opp.env not in ("*", spec.name, spec.qualified_name):
        raise UserError(f"opponent {name!r} plays {opp.env!r}, not {spec.name!r}")
    return opp.load()(arg or None, seed=seed, env_kwargs=dict(cfg.env_kwargs))


def opponent_name(name: str) -> tuple[str, str, str]:
    """``name`` split as ``str.partition(":")``, refusing what the pool's own names cannot take:
    ``random`` and ``latest`` take no argument, ``snapshot:`` needs its path."""
    base, sep, arg = name.partition(":")
    if base in ("random", "latest") and sep:
        raise UserError(f"opponent {base!r} takes no argument, got {name!r}; use {base!r}")
    if base == "snapshot" and not arg:
        raise UserError(f"opponent {name!r} needs a path: snapshot:PATH (a checkpoint, run dir or snapshot file)")
    return base, sep, arg


def check_opponent(registry: Registry, spec: EnvSpec, cfg: PPOConfig, name: str) -> None:
    """Build (and close) opponent ``name`` once, so a run that plays it only at its periodic
    evaluations refuses a bad name before it trains rather than at the first evaluation."""
    if name in ("random", "latest"):
        return
    close = getattr(make_opponent(registry, spec, name, cfg, seed=0), "close", None)
    if close is not None:
        close()


def build_selfplay(registry: Registry, spec: EnvSpec, cfg: PPOConfig, games: Any, policy: Any,
                   weights: dict[str, float], snapshot_dir: Path | None, seed: int,
                   both_seats: bool = False) -> Any:
    """Wrap games and an opponent pool into the learner's vector env; ``seed`` is the root of
    the pool's streams (opponent draws, snapshot sampling) and of each fixed opponent's.
    ``both_seats``: the learner plays both seats of its games against ``latest`` (training)."""
    from agentctl.selfplay import LATEST, RANDOM, SNAPSHOT, OpponentPool, SelfPlayVecEnv

    build = policy_builder(registry, spec, cfg, games.observation_space, games.action_space)
    fixed = {n: make_opponent(registry, spec, n, cfg, int_seed(seed, i + 1))
             for i, n in enumerate(weights) if n not in (LATEST, SNAPSHOT, RANDOM)}
    pool = OpponentPool(policy, build, weights, fixed, snapshot_dir, cfg.max_snapshots, int_seed(seed, 0))
    return SelfPlayVecEnv(games, pool, both_seats=both_seats)
