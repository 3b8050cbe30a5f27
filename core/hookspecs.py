"""The hook API plugins implement.

Registration hooks receive a ``register`` callback and return nothing, so the host knows
which plugin registered each item and can undo a plugin's partial registrations when it
fails. Hooks only ever gain arguments (pluggy lets an implementation accept fewer), so a
plugin written for an older API keeps working. A plugin may declare the API version it
targets with a module attribute ``AGENTCTL_API = 1``; a newer major version than the host
knows is refused with a clear message.

The ``register`` callbacks, the callables plugins register (env factories, policy builders,
opponent factories) and the objects those return are typed, with their rules, in
:mod:`agentctl.contracts`.
"""

from __future__ import annotations

from typing import Any

import pluggy
from agentctl.contracts import (
    RegisterEnv,
    RegisterOpponent,
    RegisterPlayer,
    RegisterPolicy,
    RegisterReward,
)

HOOK_API_VERSION = 1
PROJECT = "agentctl"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_envs(register: RegisterEnv) -> None:
    """Register environments (:class:`agentctl.contracts.RegisterEnv` has every argument's rules).

    ``register(name, entry_point, *, kind, description="", default_config=None,
    policy=None, env_kwargs=None, reference_env=None)``

    - ``entry_point``: ``"pkg.module:function"`` (imported only when the env is made, so
      listing envs stays fast) or a callable.
    - ``kind``: ``"single"`` (the entry point is ``make(num_envs, seed, **env_kwargs)``
      returning a Gymnasium ``VectorEnv``), ``"multi"`` (PettingZoo, zero-sum games) or
      ``"sequence"`` (text/code generation).
    - ``default_config``: PPO config overrides that suit this env (e.g. a short default
      ``total_timesteps``); users override them with ``--config``/``--set``.
    - ``policy``: name of the default policy builder (``"mlp"`` when omitted).
    - ``env_kwargs``: keyword arguments always passed to the entry point (users add more
      with ``--set env_kwargs.KEY=VALUE``).
    - ``reference_env``: optional ``"pkg.mod:fn"`` or callable, ``fn(**env_kwargs)``
      returning one unbatched env in the standard API (a ``gymnasium.Env`` for
      ``"single"``, a PettingZoo AEC env for ``"multi"``); ``agentctl check-plugin`` runs
      Gymnasium's env checker / PettingZoo's ``api_test`` on it. (Added in API 1.)
    """


@hookspec
def register_policies(register: RegisterPolicy) -> None:
    """Register policy network builders (:class:`agentctl.contracts.PolicyBuilder`).

    ``register(name, builder, *, description="")``: ``builder(observation_space,
    action_space, **policy_kwargs)`` returns an ``agentctl.nn.policy.ActorCritic``
    (``forward(obs) -> (logits, value)``); ``builder`` may be a ``"pkg.mod:fn"`` string.
    """


@hookspec
def register_opponents(register: RegisterOpponent) -> None:
    """Register opponents for multi-agent envs (:class:`agentctl.contracts.OpponentFactory`,
    :class:`agentctl.contracts.Opponent`).

    ``register(name, factory, *, env, description="")``: ``env`` is the env name it plays
    (``"*"``: any). ``factory(arg, *, seed, env_kwargs)`` (``arg``: the text after ``:`` in
    ``name:arg``, else None) returns an object with ``act(observation, action_mask, *,
    game=None, index=None) -> actions`` acting on a batch of games (observations and masks
    from the mover's view; ``game``/``index`` give engines the full game state).
    """


@hookspec
def register_rewards(register: RegisterReward) -> None:
    """Register rewards for sequence envs: ``register(name, factory, *, description="")``, where
    ``factory(arg) -> fn(prompts, responses) -> list[float]`` (:class:`agentctl.contracts.RewardFactory`)."""


@hookspec
def register_players(register: RegisterPlayer) -> None:
    """Register how a person plays or watches an env in the terminal (``agentctl play --env NAME``).

    ``register(env_name, command, *, description="")``: ``command`` is a ``click.Command`` (or
    ``"pkg.mod:attr"`` naming one, imported only when that env is played) with the env's own
    options; ``agentctl play --env NAME ARGS...`` runs it with ``ARGS`` (``--help`` shows its
    options). One player per env; the env's own plugin's wins when several register one.
    (Added in API 1; optional: an env without a player just cannot be played.)
    """


@hookspec
def register_teachers(register: Any) -> None:
    """Register teachers: players whose games a policy imitates before self-play
    (``agentctl pretrain --env ENV --teacher NAME[:ARG]``). (Added in API 1; optional.)

    ``register(name, factory, *, env, description="")``: ``env`` is the env name it plays.
    ``factory(arg, *, seed, env_kwargs)`` (``arg``: the text after ``:``, else None; raise
    :class:`agentctl.errors.Unavailable` when a program it needs is missing) returns a teacher:

    - ``generate(path, games, *, workers, progress)``: append demonstration games to ``path``
      until it holds ``games`` (a partial file is continued, so a rerun resumes);
      ``progress(done, total)`` is called as games finish; returns the number held.
    - ``load(path) -> dict``: the file's positions as arrays, ``P`` rows, every game's in order:
      ``obs`` [P, ...] as the policy observes (the mover's view); ``mask`` bool [P, A]
      (optional: legal actions); ``action`` int [P]; ``teacher`` bool [P] (the row's action is
      a policy target); ``value`` float [P] (the game's result for the mover, in [-1, 1]);
      ``game`` int [P] (which game the row is from: data is split into training and
      validation by game); ``aux`` {name: array [P, ...]} (targets for a policy's auxiliary
      heads of that name: a policy may offer ``aux_names``, ``forward_aux(obs) -> (logits,
      value, {name: prediction})`` and ``aux_loss(name, prediction, target) -> [B]``);
      ``aux_valid`` bool [P] (the row's aux targets are known). Raise :class:`agentctl.errors.UserError` for a file that does not
      fit (another board size).
    - ``symmetry``: ``"dihedral"`` when observations are square boards [C, N, N], actions are
      the N*N points (row-major) followed by extra actions, and spatial aux targets are
      [P, N*N]: training then shows each sample through a random rotation/reflection. None
      otherwise.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands to the ``agentctl`` group: ``cli.add_command(my_command)``.

    Called when the CLI is built, so keep the plugin module import-light (import heavy
    libraries inside the command function).
    """
