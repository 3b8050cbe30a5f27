"""Every contract a plugin implements, in one place: typed Protocols and the rules behind them.

agentctl has three layers: env code (``agentctl.envs``, third-party game packages) imports
nothing of agentctl; the core imports no env and no plugin; plugins are the only glue. So an
env *satisfies* these Protocols by duck typing (it never imports this module), and the core,
``agentctl check-plugin`` (:mod:`agentctl.testing`) and type checkers check them. A plugin's
hook module (the glue) may import them for annotations.

Registration: what the hooks in :mod:`agentctl.hookspecs` receive and what they register

* :class:`RegisterEnv`, :class:`RegisterPolicy`, :class:`RegisterOpponent`,
  :class:`RegisterReward`, :class:`RegisterPlayer`: the ``register`` callback each hook is called with.
* :class:`EnvFactory`, :class:`ReferenceEnvFactory`, :class:`PolicyBuilder`,
  :class:`OpponentFactory`, :class:`RewardFactory` (which builds a :class:`RewardFn`): the
  callables a plugin registers.

Text tasks (``kind="sequence"``)

* The factory returns an :class:`agentctl.sequences.SequenceTask` (prompts, stop strings, a
  reward spec): a dataclass, not a Protocol, defined beside the trainer that reads it.
* :class:`RewardFactory` / :class:`RewardFn`: how a registered reward scores completions.

Two-player zero-sum games (``kind="multi"``)

* :class:`TurnBasedGames` (seats take turns) or :class:`SimultaneousGames` (both seats act at
  every step, as in real-time strategy): what an env factory returns, a batch of games. The core
  shows simultaneous games to everything else as turn-based
  (:class:`agentctl.games.SimultaneousTurns`), so self-play, opponents and evaluation serve both.
* Optional capabilities, checked with ``getattr`` where they are used:
  :class:`SearchableGames` (``search_state(i)``, for play-time tree search),
  :class:`RecordedGames` (``history(i)``, for engines that replay the moves),
  :class:`RenderableGames` (``render_frame(i)``, for replays: ``agentctl eval --record``),
  :class:`TargetedGames` (``final_targets(index)``, targets for a policy's auxiliary heads).
* :class:`FramedGames`: a wrapper that shows each game through a per-turn view (board-symmetry
  augmentation, :class:`agentctl.games.DihedralAugment`), and what it exposes to opponents.
* :class:`SearchState`: one position, as play-time search (:mod:`agentctl.search`) sees it.
* :class:`Opponent`: who plays the learner's other seat.

Words used throughout: a *batch* holds ``B = num_games`` independent games, indexed ``0..B-1``;
*seat* 0 moves first; the *mover* is the player to move in a game. The learner and every
opponent see each game from the mover's view, so one network plays both seats and the PPO
engine never sees seats or colours (:mod:`agentctl.selfplay` does that bookkeeping once).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # type names only: importing this module stays cheap (no numpy, no torch)
    import numpy as np
    from agentctl.nn.policy import ActorCritic

__all__ = [
    "EnvFactory", "FramedGames", "Opponent", "OpponentFactory", "PolicyBuilder", "RecordedGames",
    "ReferenceEnvFactory", "RegisterEnv", "RegisterOpponent", "RegisterPlayer", "RegisterPolicy",
    "RegisterReward", "RenderableGames", "RewardFactory", "RewardFn", "SearchState", "SearchableGames", "SimultaneousGames", "TurnBasedGames",
]


# -- registration callbacks (the ``register`` argument of each hook) ------------------------------
class RegisterEnv(Protocol):
    """``register`` as :func:`agentctl.hookspecs.register_envs` receives it.

    ``name`` and the entry point are positional, the rest keywords (as for every ``register``).
    Registration is cheap and lazy: string entry points (``"pkg.module:function"``) are imported
    only when the env is made, so ``agentctl envs`` lists every plugin's envs without importing
    any env code. A malformed call raises (and the plugin's partial registrations are undone).
    """

    def __call__(self, name: str, entry_point: str | EnvFactory, /, *, kind: str, description: str = "",
                 default_config: Mapping[str, Any] | None = None, policy: str | None = None,
                 env_kwargs: Mapping[str, Any] | None = None,
                 reference_env: str | ReferenceEnvFactory | None = None) -> None:
        """Register env ``name``.

        - ``name``: letters, digits, ``_ . : -``; ``prefix:*`` registers a family (``prefix:ID``
          resolves to it, with ``env_kwargs["env_id"] = "ID"``). Users may write the short name
          when only one plugin registers it, else ``plugin/name``.
        - ``entry_point``: an :class:`EnvFactory` or ``"pkg.module:function"`` naming one.
        - ``kind``: ``"single"`` (the factory returns a Gymnasium ``VectorEnv``), ``"multi"``
          (a :class:`TurnBasedGames`) or ``"sequence"`` (an :class:`agentctl.sequences.SequenceTask`:
          a text task, trained with token-level PPO on the ``lm`` policy).
        - ``default_config``: PPO config overrides that suit this env (users override them with
          ``--config``/``--set``); ``"env_kwargs"`` in it are passed to the factory too.
        - ``policy``: the default policy builder's name (``"mlp"`` when None).
        - ``env_kwargs``: keyword arguments always passed to the factory and to ``reference_env``.
        - ``reference_env``: one unbatched env in the standard API, built by a
          :class:`ReferenceEnvFactory` (or ``"pkg.module:function"``): a ``gymnasium.Env`` for
          ``"single"``, a PettingZoo AEC env for ``"multi"``. ``agentctl check-plugin`` runs
          Gymnasium's ``check_env`` / PettingZoo's ``api_test`` on it; without one the
          PettingZoo check is skipped.
        """


class RegisterPolicy(Protocol):
    """``register`` as :func:`agentctl.hookspecs.register_policies` receives it."""

    def __call__(self, name: str, builder: str | PolicyBuilder, /, *, description: str = "") -> None:
        """Register policy builder ``name`` (an env picks it with ``policy=``, users with
        ``--set policy=NAME``); ``builder`` may be ``"pkg.module:function"``."""


class RegisterOpponent(Protocol):
    """``register`` as :func:`agentctl.hookspecs.register_opponents` receives it."""

    def __call__(self, name: str, factory: str | OpponentFactory, /, *, env: str,
                 description: str = "") -> None:
        """Register opponent ``name`` for env ``env`` (``"*"``: any env). Users name it in
        ``--opponent NAME[:ARG]`` and in the ``opponents`` config weights."""


class RegisterReward(Protocol):
    """``register`` as :func:`agentctl.hookspecs.register_rewards` receives it."""

    def __call__(self, name: str, fn: str | RewardFactory, /, *, description: str = "") -> None:
        """Register reward ``name`` for sequence envs: ``fn`` is its :class:`RewardFactory` (or
        ``"pkg.module:function"`` naming one). Tasks and users name it in reward specs."""


class RegisterPlayer(Protocol):
    """``register`` as :func:`agentctl.hookspecs.register_players` receives it."""

    def __call__(self, env: str, command: Any, /, *, description: str = "") -> None:
        """Register the player of env ``env`` (its registered name): ``command`` is a
        ``click.Command`` with the env's own options, or ``"pkg.module:attr"`` naming one.
        ``agentctl play --env ENV ARGS...`` invokes it with ``ARGS``; raise
        :class:`agentctl.errors.UserError` from it for bad input (one line, exit 2)."""


# -- what plugins register -----------------------------------------------------------------------
class EnvFactory(Protocol):
    """An env's entry point: ``make(num_envs, seed, **env_kwargs)``.

    Returns ``num_envs`` environments stepped together: a Gymnasium ``VectorEnv`` with
    NEXT_STEP autoreset (``kind="single"``; masked envs give ``{"observation", "action_mask"}``
    dict observations), a :class:`TurnBasedGames` with ``num_games == num_envs``
    (``kind="multi"``), or an :class:`agentctl.sequences.SequenceTask` (``kind="sequence"``;
    ``num_envs`` is the completions per rollout, which the trainer samples itself). ``seed`` seeds everything random inside (None: unseeded); the same seed
    must give the same games, or training is not reproducible. ``env_kwargs`` are the
    registered ``env_kwargs`` updated by the run's ``env_kwargs`` config; a key the factory does
    not take is reported to the user as a bad setting (so name every accepted keyword).
    """

    def __call__(self, num_envs: int, seed: int | None, **env_kwargs: Any) -> Any: ...


class ReferenceEnvFactory(Protocol):
    """``reference_env(**env_kwargs)``: one unbatched env in the standard API (see
    :class:`RegisterEnv`), for API checkers and agreement tests, never for training."""

    def __call__(self, **env_kwargs: Any) -> Any: ...


class PolicyBuilder(Protocol):
    """``builder(observation_space, action_space, **policy_kwargs)`` -> a fresh policy.

    ``observation_space`` is one env's observation (the ``"observation"`` part of a masked
    dict; for games, one observation from the mover's view), ``action_space`` one env's action
    space. The result is an :class:`agentctl.nn.policy.ActorCritic`: a torch module with
    ``forward(obs [B, ...]) -> (logits [B, A], value [B])`` and ``dist`` (its action
    distribution). The builder is called again for every snapshot opponent, so it must build
    the same architecture every time; the weights come from checkpoints. Raise ``ValueError``
    or ``TypeError`` for spaces or kwargs it cannot handle (users see the message).
    """

    def __call__(self, observation_space: Any, action_space: Any, **policy_kwargs: Any) -> ActorCritic: ...


class OpponentFactory(Protocol):
    """``factory(arg, *, seed, env_kwargs)`` -> an :class:`Opponent`.

    ``arg`` is the text after ``:`` in ``NAME:ARG`` (e.g. a level), else None; ``seed`` seeds
    its randomness; ``env_kwargs`` are the run's, so it can match the game (e.g. board size).
    Raise :class:`agentctl.errors.UserError` when it cannot run (a missing program).
    """

    def __call__(self, arg: str | None, *, seed: int | None,
                 env_kwargs: Mapping[str, Any] | None) -> Opponent: ...


class RewardFn(Protocol):
    """A sequence env's reward, batched: ``fn(prompts, responses) -> one float per response``.

    ``responses[i]`` is the decoded completion of ``prompts[i]`` (without the prompt, cut at the
    task's stop strings; possibly empty). Return ``len(responses)`` finite numbers: a reward
    that raises, returns another count or a NaN/inf stops training with one line naming it.
    A ``python:MODULE:FUNCTION`` reward spec names a ``RewardFn`` directly, unregistered.
    """

    def __call__(self, prompts: Sequence[str], responses: Sequence[str]) -> Sequence[float]: ...


class RewardFactory(Protocol):
    """What ``register_rewards`` registers: ``factory(arg) -> RewardFn``, called once per run.

    ``arg`` is the text after the first ``:`` of the reward spec's term (``keyword:great|good``
    gives ``"great|good"``; None without one). Check it and raise
    :class:`agentctl.errors.UserError` for a bad one; do expensive set-up (a lexicon, a model)
    here, not in the returned function, which runs once per rollout. Reward specs combine
    terms: ``sentiment+0.1*length:24`` (``[WEIGHT*]NAME[:ARG]`` joined by ``+``).
    """

    def __call__(self, arg: str | None) -> RewardFn: ...


# -- two-player games ----------------------------------------------------------------------------
@runtime_checkable
class TurnBasedGames(Protocol):
    """B two-player zero-sum games stepped in batches: what a ``kind="multi"`` factory returns.

    Rules (``agentctl check-plugin`` plays random games to check them):

    - Seats are 0 and 1; seat 0 moves first. Turns usually alternate, but a game may let a
      seat move twice in a row: :meth:`to_play` is the source of truth, never move parity.
    - Observations and masks are from the mover's view (own stones vs the opponent's), so one
      network can play both seats.
    - :meth:`observe` does not change any game: called twice with no ``step``/``reset`` in
      between, it returns equal arrays, and :meth:`step` reads actions in the terms of the
      latest :meth:`observe`.
    - :meth:`step` changes only the games with ``active[i]`` that are not done; the others keep
      their position (a :class:`FramedGames` may still show them through a new view).
    - A finished game stays done, with its outcome, until :meth:`reset_games` restarts it.
    - Returned arrays belong to the caller (copies, not views of buffers that later calls
      overwrite): the self-play adapter keeps ``done()`` from one step to the next.
    - Picklable when possible: training pickles the games for an exact resume (if pickling
      fails, a resumed run restarts the games: still correct, no longer bit-exact).
    - ``close()`` is optional; the self-play adapter calls it when training ends.
    """

    num_games: int
    observation_space: Any  # gymnasium Box: one observation, from the mover's view
    action_space: Any  # gymnasium Discrete, or a 1-D MultiDiscrete (actions [B, K], masks [B, sum(nvec)])

    def reset(self, seed: int | None = None) -> None:
        """Start all games (``seed``: reseed randomness in the games, if any)."""

    def reset_games(self, index: np.ndarray) -> None:
        """Start new games at these indices; the others are untouched."""

    def to_play(self) -> np.ndarray:
        """[B] int: the seat (0 or 1) to move in each game."""

    def observe(self) -> tuple[np.ndarray, np.ndarray]:
        """(observations [B, *observation_space.shape], legal-action masks [B, A] bool) for
        the mover of each game. A game that is not done has at least one legal action."""

    def step(self, actions: np.ndarray, active: np.ndarray) -> None:
        """Play ``actions[i]`` (legal for game ``i``'s mover) in every game with ``active[i]``
        that is not done; ``actions`` of the other games are ignored, whatever they hold."""

    def done(self) -> np.ndarray:
        """[B] bool: game over."""

    def outcome(self) -> np.ndarray:
        """[B] float, meaningful where done: +1 seat 0 won, -1 seat 1 won, 0 draw."""


@runtime_checkable
class SimultaneousGames(Protocol):
    """B two-player zero-sum games in which **both seats act at every step**: what a
    ``kind="multi"`` factory returns for a simultaneous-move game (real-time strategy, matrix
    games, racing).

    Rules (``agentctl check-plugin`` plays random games to check them):

    - Seats are 0 and 1. :meth:`observe` gives one seat's view of every game, so one network
      can play both seats; neither seat sees the other's action of the same step.
    - :meth:`observe` does not change any game; :meth:`step` reads both seats' actions at once
      and changes only the games with ``active[i]`` that are not done.
    - ``action_space`` is a gymnasium Discrete (actions [B], masks [B, n]) or a 1-D
      MultiDiscrete (actions [B, K], masks [B, sum(nvec)]: one boolean per value of each
      component, components in order). A game that is not done has a legal value in every
      component a legal action uses.
    - A finished game stays done, with its outcome, until :meth:`reset_games` restarts it.
    - Returned arrays belong to the caller; picklable when possible; ``close()`` optional (as
      for :class:`TurnBasedGames`).
    - Optional ``step_rewards() -> [B, 2] float``: a dense reward each seat earned in the latest
      :meth:`step` (0 for games not stepped), e.g. shaping terms that the env anneals away. The
      self-play adapter adds it to the learner's reward; the outcome stays the +1/-1/0 of
      :meth:`outcome` and decides wins in evaluation.

    A step need not be one tick of game time: an env may play ahead while nobody can choose
    anything (RTS units busy with long actions), so learners see only decisions.
    """

    num_games: int
    observation_space: Any  # gymnasium Box: one observation, from one seat's view
    action_space: Any  # gymnasium Discrete or 1-D MultiDiscrete

    def reset(self, seed: int | None = None) -> None:
        """Start all games (``seed``: reseed randomness in the games, if any)."""

    def reset_games(self, index: np.ndarray) -> None:
        """Start new games at these indices; the others are untouched."""

    def observe(self, seat: int) -> tuple[np.ndarray, np.ndarray]:
        """(observations [B, *observation_space.shape], legal-action masks [B, A] bool) of
        every game from ``seat``'s view."""

    def step(self, actions0: np.ndarray, actions1: np.ndarray, active: np.ndarray) -> None:
        """Play seat 0's ``actions0[i]`` and seat 1's ``actions1[i]`` together in every game with
        ``active[i]`` that is not done; the other rows are ignored, whatever they hold."""

    def done(self) -> np.ndarray:
        """[B] bool: game over."""

    def outcome(self) -> np.ndarray:
        """[B] float, meaningful where done: +1 seat 0 won, -1 seat 1 won, 0 draw."""


@runtime_checkable
class SearchState(Protocol):
    """One position of a game for play-time tree search (:mod:`agentctl.search`).

    The search keeps one state per tree node, so :meth:`clone` must be independent and cheap
    enough to call per playout. Players are any two distinct hashable values (e.g. colours);
    values are in [-1, 1] for the player asked.
    """

    def clone(self) -> SearchState:
        """An independent copy."""

    def play(self, action: int) -> None:
        """Play a legal action of the player to move, in place."""

    def legal_mask(self) -> np.ndarray:
        """[A] bool: the legal actions of the player to move (any True while not over)."""

    def observation(self) -> np.ndarray:
        """The network's input for the player to move (one sample, no batch axis), exactly as
        the games' ``observe()`` gives it on the real board."""

    def is_over(self) -> bool: ...

    def to_play(self) -> Hashable:
        """The player to move."""

    def result_for(self, player: Hashable) -> float:
        """Final result for ``player``: +1 win, -1 loss, 0 draw (only called when over)."""


@runtime_checkable
class SearchableGames(Protocol):
    """Optional for :class:`TurnBasedGames`: games that hand out search states. Without it a
    game simply cannot be searched (``agentctl eval --playouts`` refuses it)."""

    def search_state(self, index: int) -> SearchState:
        """An independent copy of game ``index`` (changing it never changes the game)."""


@runtime_checkable
class RecordedGames(Protocol):
    """Optional for :class:`TurnBasedGames`: the move list of each game, for opponents backed
    by external engines (GnuGo over GTP replays it rather than reading observation planes)."""

    def history(self, index: int) -> Sequence[int]:
        """The actions played in game ``index`` since it started, oldest first, on the real
        board (the games' own action numbering). A new list: the caller may keep it."""


@runtime_checkable
class TargetedGames(Protocol):
    """Optional for :class:`TurnBasedGames`: what a finished game reveals about every position
    in it, trained by a policy's auxiliary heads (config ``aux_coef``; e.g. Go's final
    ownership of each point and score margin). Self-play hands each learner turn of the game
    its targets as that turn was shown: negated for seat 1 (so only zero-sum quantities fit)
    and, for a :class:`FramedGames` wrapper with ``show_points``, per-point targets mapped
    into the turn's frame."""

    def final_targets(self, index: np.ndarray) -> dict[str, np.ndarray]:
        """For finished games ``index`` (int [k]), from seat 0's view on the real board: name
        -> array [k, ...] (per-point targets as [k, points], the points the actions number)."""


@runtime_checkable
class RenderableGames(Protocol):
    """Optional for :class:`TurnBasedGames` and :class:`SimultaneousGames`: a picture of a game,
    for replays (``agentctl eval --record``). :class:`agentctl.games.SimultaneousTurns` and
    :class:`agentctl.games.DihedralAugment` pass it through (it shows the real board)."""

    def render_frame(self, index: int) -> np.ndarray:
        """Game ``index`` now, as an RGB image: uint8 [height, width, 3], the same size for
        every position of the batch (a replay stacks them into one animation)."""


@runtime_checkable
class FramedGames(TurnBasedGames, Protocol):
    """A :class:`TurnBasedGames` that shows each game through a per-turn *frame* (a view).

    :class:`agentctl.games.DihedralAugment` is one: each game is seen through a random board
    symmetry, so observations, masks and the actions a policy picks are all in that frame, and
    PPO's stored (observation, mask, action) triples stay consistent. Rules:

    - The frame is a view, not game state. The frames are redrawn by the first ``observe()``
      after any ``step``/``reset``/``reset_games`` (for every game, stepped or not), and
      ``step()`` maps actions back through the frames of the latest ``observe()``. So
      ``observe()`` changes no game, and a game that was not active keeps its position while
      its next observation may show it in another frame: to check "unchanged", look at
      :attr:`games`.
    - :attr:`games` is the wrapped batch, on the real board.
    - Capabilities that speak in real-board terms (``search_state(i)``, ``history(i)``) are
      passed through from :attr:`games` when it has them; a real-board action (from search, or
      from an engine that replays ``history``) becomes an action of this batch through
      :meth:`to_frame`. An opponent that computes real-board moves calls ``to_frame`` when the
      batch has it, and uses its moves as they are when it does not.
    """

    games: TurnBasedGames

    def to_frame(self, index: np.ndarray, real_actions: np.ndarray) -> np.ndarray:
        """Real-board actions of games ``index`` expressed in their current frames."""


class Opponent(Protocol):
    """Plays one seat of some games of a batch (the learner plays the other).

    :meth:`act` gets only the rows of the games it moves in, from the mover's view and in the
    batch's frame, and returns one legal action per row in that same frame. Optional methods:
    ``state_dict()``/``load_state_dict(state)`` (its randomness, saved with checkpoints so a
    resumed run continues exactly), ``close()`` (external processes).
    """

    def act(self, observation: np.ndarray, action_mask: np.ndarray, *, game: Any = None,
            index: np.ndarray | None = None) -> np.ndarray:
        """[k] actions ([k, K] for MultiDiscrete) for observations [k, ...] and masks [k, A] of games ``index`` ([k]) of
        the batch ``game`` (a :class:`TurnBasedGames`, possibly :class:`FramedGames`).
        ``game``/``index`` let engines read full state (``history``, ``search_state``); the
        batch is read-only here: never step or reset it."""
