"""Scripted RTS opponents: yardsticks for a learner, in the spirit of microRTS's classic bots.

Every bot sees exactly what a learner sees, from its own seat: the observation planes
(``observation.py``, channels first: ``[k, 28, H, W]`` uint8) and the flattened action mask
(``[k, H*W*78]`` bool, ``layout.py``), and answers ``[k, H*W*7]`` int64 actions. It never reads the
game state, so a bot can stand in for a learner anywhere, and a bot only gives orders its mask
allows. The stock of resources is not observed; the mask's produce-type bits say what the stock
can pay for (see ``known_stock``).

- ``PassiveBot`` does nothing: every cell no-ops.
- ``RandomBot`` plays a uniformly random legal action in every cell.
- ``WorkerRushBot`` (microRTS's WorkerRush): the base trains workers whenever it can; one worker
  harvests, every other worker hunts the nearest enemy.
- ``LightRushBot`` (microRTS's LightRush): two workers harvest, one of them builds a barracks as
  soon as it is affordable, the barracks trains light units that hunt the nearest enemy.

The scripted bots decide per unit with plain Python over a decoded board (``Board``); distances
are breadth-first step counts over the grid, computed for all games at once with numpy.
``play_match`` plays two bots against each other on the engine directly.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from .layout import (
    ACTION_NVEC,
    ATTACK,
    DIR_DX,
    DIR_DY,
    HARVEST,
    MASK_OFFSETS,
    MASK_SIZE,
    MOVE,
    PRODUCE,
    REACH,
    RETURN,
)
from .maps import RtsMap
from .observation import ACTION, HP, OWNER, RESOURCES, TYPE, WALL, observe
from .rules import action_masks, step
from .sampling import sample_actions
from .state import new_games
from .units import BARRACKS, BASE, COST, EMPTY, LIGHT, N_UNIT_TYPES, RESOURCE, WORKER

FAR = 1 << 20  # the distance of a cell no path reaches
NONE, OWN, ENEMY = 0, 1, 2  # the owner planes' values, from the viewer's side
# where each order's parameters start in a cell's mask row (layout.py's component order)
MOVE_DIRS, HARVEST_DIRS, RETURN_DIRS, PRODUCE_DIRS, PRODUCE_TYPES, ATTACK_TARGETS = MASK_OFFSETS[1:]


class Bot(Protocol):
    """What an opponent implements (the observation and mask of each of its k games, its own view)."""

    def act(self, observation: np.ndarray, action_mask: np.ndarray, *, game: Any = None,
            index: np.ndarray | None = None) -> np.ndarray: ...


def distances(targets: np.ndarray, passable: np.ndarray) -> np.ndarray:
    """Steps from every cell to the nearest target, walking through passable cells; FAR if none.

    Batched breadth-first search: relax every cell from its four neighbours until nothing changes
    (as many rounds as the longest path, a handful on small maps). Targets count 0 whether or not
    they are passable; a cell neither passable nor a target stays FAR (nothing walks through it).
    ``targets`` and ``passable`` are (k, H, W) booleans.
    """
    k, h, w = targets.shape
    padded = np.full((k, h + 2, w + 2), FAR, dtype=np.int64)  # a FAR border: the map's edge
    dist = padded[:, 1:-1, 1:-1]  # a view: writing dist writes the padded interior
    dist[...] = np.where(targets, 0, FAR)
    walkable = passable & ~targets
    while True:
        nearest = np.minimum(np.minimum(padded[:, :-2, 1:-1], padded[:, 2:, 1:-1]),
                             np.minimum(padded[:, 1:-1, :-2], padded[:, 1:-1, 2:]))
        relaxed = np.where(walkable, np.minimum(dist, nearest + 1), dist)
        if np.array_equal(relaxed, dist):
            return dist.copy()
        dist[...] = relaxed


def known_stock(masks: np.ndarray) -> np.ndarray:
    """(k,) the most each game's stock is sure to hold: the dearest type some idle producer's mask allows.

    The stock is not observed, but a producer's type bits are set exactly when the stock pays for
    that type (rules.py), so it is at least the cost of the dearest type allowed anywhere in the game.
    ``masks`` is (k, H, W, 78).
    """
    affordable = masks[..., PRODUCE_TYPES:PRODUCE_TYPES + N_UNIT_TYPES].any(axis=(1, 2))  # (k, types)
    return (affordable * COST).max(axis=1)


@dataclass
class Board:
    """k games decoded from observation planes, from the viewer's side; arrays are (k, H, W)."""

    kind: np.ndarray  # unit type id, EMPTY where none
    owner: np.ndarray  # NONE, OWN or ENEMY
    hp: np.ndarray  # hit points, capped at 4 (the planes' last bucket)
    carried: np.ndarray  # resources carried (workers) or left (piles), capped at 4
    action: np.ndarray  # the action in progress, 0 when idle (layout.py's type ids otherwise)
    wall: np.ndarray  # bool

    @classmethod
    def read(cls, observation: np.ndarray) -> Board:
        """Decode one-hot ``[k, 28, H, W]`` planes: each group's argmax is the cell's value."""
        group = lambda first, size: observation[:, first:first + size].argmax(axis=1)
        return cls(kind=group(TYPE, N_UNIT_TYPES + 1) - 1, owner=group(OWNER, 3), hp=group(HP, 5),
                   carried=group(RESOURCES, 5), action=group(ACTION, 6), wall=observation[:, WALL] > 0)

    def units(self, owner: int) -> np.ndarray:
        """Where ``owner``'s units are (resource piles are nobody's units)."""
        return (self.owner == owner) & (self.kind >= BASE)

    @cached_property
    def free(self) -> np.ndarray:
        """Cells a unit could step into now (the mask also knows cells reserved by moves in progress)."""
        return (self.kind == EMPTY) & ~self.wall

    @cached_property
    def open_ground(self) -> np.ndarray:
        """Cells that are free or hold a mobile unit, which may step aside: the long-run way through."""
        return ~self.wall & ((self.kind == EMPTY) | (self.kind >= WORKER))

    # Two distance maps per destination: through free cells only (the way open now), and through
    # open ground (the way once own units have moved on), for when every free way is blocked.
    @cached_property
    def to_enemy(self) -> tuple[np.ndarray, np.ndarray]:
        enemy = self.units(ENEMY)
        return distances(enemy, self.free), distances(enemy, self.open_ground)

    @cached_property
    def to_pile(self) -> tuple[np.ndarray, np.ndarray]:
        piles = self.kind == RESOURCE
        return distances(piles, self.free), distances(piles, self.open_ground)

    @cached_property
    def to_own_base(self) -> tuple[np.ndarray, np.ndarray]:
        bases = (self.kind == BASE) & (self.owner == OWN)
        return distances(bases, self.free), distances(bases, self.open_ground)


class GameTurn:
    """One game's orders for this tick: the bot's vocabulary (attack, harvest, move, produce).

    Each order method checks the mask, writes the order into the game's (H, W, 7) actions and
    returns whether it gave one. It also keeps two rules the mask alone cannot: two own units never
    aim at the same cell (both would fail), and productions ordered together never cost more than
    the stock is known to hold (they would all fail).
    """

    def __init__(self, board: Board, g: int, masks: np.ndarray, out: np.ndarray, jitter: np.ndarray, budget: int,
                 can_act: np.ndarray):
        self.board, self.g, self.masks, self.out, self.jitter = board, g, masks, out, jitter
        self.budget = budget  # what the stock is sure to hold (known_stock); spent as orders are given
        self.claimed: set[tuple[int, int]] = set()
        # own units as (kind, action in progress, y, x), nearest the enemy first (see ``idle``)
        ys, xs = np.nonzero(board.owner[g] == OWN)
        front = board.to_enemy[1][g]
        cells = sorted(zip(ys.tolist(), xs.tolist()), key=lambda c: front[c] + jitter[c][1])
        kind, action = board.kind[g], board.action[g]
        self.units = [(int(kind[c]), int(action[c]), *c) for c in cells]
        self.ready = {c for c in cells if can_act[c]}  # idle units, whose masks allow more than no-op

    # -- what the board says ------------------------------------------------------------------
    def idle(self, kind: int) -> list[tuple[int, int]]:
        """Own units of ``kind`` that may act now and have no order yet this tick, front line first.

        Busy units' masks allow only no-op, so they are left out. The order matters because the
        first unit to claim a cell gets it; nearest-the-enemy first (ties at random) is the same
        order from either seat, where the grid's row-major order would favour one seat.
        """
        return [(y, x) for k, _, y, x in self.units if k == kind and (y, x) in self.ready and self.out[y, x, 0] == 0]

    def count(self, kind: int, busy_with: int | None = None) -> int:
        """How many own units of ``kind`` there are (only those doing ``busy_with``, if given)."""
        return sum(k == kind and (busy_with is None or a == busy_with) for k, a, _, _ in self.units)

    def harvesters(self, n: int) -> set[tuple[int, int]]:
        """The ``n`` workers that should harvest: those already busy with resources, then the nearest.

        No memory between ticks is needed: a worker carrying, harvesting or returning keeps the job,
        and a worker that just returned stands next to the pile, so it is the nearest again. Nobody
        harvests without an own base to return to or a pile to harvest.
        """
        b, g = self.board, self.g
        to_pile = b.to_pile[1][g]
        if self.count(BASE) == 0 or to_pile.min() >= FAR:
            return set()
        workers = [(y, x) for k, _, y, x in self.units if k == WORKER]
        committed = lambda y, x: b.carried[g, y, x] > 0 or b.action[g, y, x] in (HARVEST, RETURN)
        ranked = sorted(workers, key=lambda c: (not committed(*c), to_pile[c] + self.jitter[c][0]))
        return set(ranked[:n])

    # -- orders -------------------------------------------------------------------------------
    def attack(self, y: int, x: int) -> bool:
        """Hit the weakest enemy in range (then the nearest): finishing units off thins the enemy fastest."""
        row = self.masks[y, x]
        targets = np.flatnonzero(row[ATTACK_TARGETS:ATTACK_TARGETS + 49])
        if not row[ATTACK] or targets.size == 0:
            return False
        span = 2 * REACH + 1
        hp = self.board.hp[self.g]

        def key(t: int) -> tuple:
            dy, dx = t // span - REACH, t % span - REACH
            return hp[y + dy, x + dx], dy * dy + dx * dx, self.jitter[y + dy, x + dx, 0]
        self.out[y, x, 0], self.out[y, x, 6] = ATTACK, min(targets.tolist(), key=key)
        return True

    def harvest_or_return(self, y: int, x: int) -> bool:
        """The harvest cycle: a loaded worker returns to a base, an empty one harvests a pile; walk if neither is adjacent."""
        row = self.masks[y, x]
        if self.board.carried[self.g, y, x] > 0:
            if row[RETURN]:
                return self._order(y, x, RETURN, self._first(row, RETURN_DIRS, y, x))
            return self.move_toward(y, x, self.board.to_own_base)
        if row[HARVEST]:
            return self._order(y, x, HARVEST, self._first(row, HARVEST_DIRS, y, x))
        return self.move_toward(y, x, self.board.to_pile)

    def move_toward(self, y: int, x: int, maps: tuple[np.ndarray, np.ndarray]) -> bool:
        """Step along a shortest path: through free cells if one exists, else along open ground if that gets closer.

        ``maps`` are a destination's two distance maps (``Board.to_enemy`` etc.). When even open ground
        does not get closer (a unit hemmed in by its own side), it waits rather than wander.
        """
        free_way, open_way = maps[0][self.g], maps[1][self.g]
        steps = self._open_directions(self.masks[y, x], MOVE_DIRS, y, x, need=MOVE)
        if not steps:
            return False
        best = min(steps, key=lambda d: free_way[y + DIR_DY[d], x + DIR_DX[d]] + self.jitter[y, x, d])
        if free_way[y + DIR_DY[best], x + DIR_DX[best]] >= FAR:
            best = min(steps, key=lambda d: open_way[y + DIR_DY[d], x + DIR_DX[d]] + self.jitter[y, x, d])
            if open_way[y + DIR_DY[best], x + DIR_DX[best]] >= open_way[y, x]:
                return False
        return self._order(y, x, MOVE, best)

    def produce(self, y: int, x: int, kind: int, maps: tuple[np.ndarray, np.ndarray], away: bool = False) -> bool:
        """Produce ``kind`` in the adjacent cell nearest the destination of ``maps`` (farthest if ``away``), if the budget allows."""
        row = self.masks[y, x]
        if not row[PRODUCE] or not row[PRODUCE_TYPES + kind] or COST[kind] > self.budget:
            return False
        cells = self._open_directions(row, PRODUCE_DIRS, y, x, need=PRODUCE)
        if not cells:
            return False
        dist = np.minimum(maps[0][self.g], maps[1][self.g])
        sign = -1 if away else 1
        d = min(cells, key=lambda d: sign * dist[y + DIR_DY[d], x + DIR_DX[d]] + self.jitter[y, x, d])
        self.budget -= int(COST[kind])
        self.out[y, x, 5] = kind
        return self._order(y, x, PRODUCE, d)

    # -- helpers ------------------------------------------------------------------------------
    def _open_directions(self, row: np.ndarray, first: int, y: int, x: int, need: int) -> list[int]:
        """Directions the mask allows for order type ``need`` whose cell no own unit claimed this tick."""
        if not row[need]:
            return []
        return [d for d in range(4) if row[first + d] and (y + DIR_DY[d], x + DIR_DX[d]) not in self.claimed]

    def _first(self, row: np.ndarray, first: int, y: int, x: int) -> int:
        """A direction the mask allows (harvest, return: any adjacent pile or base will do)."""
        return min((d for d in range(4) if row[first + d]), key=lambda d: self.jitter[y, x, d])

    def _order(self, y: int, x: int, kind: int, direction: int) -> bool:
        self.out[y, x, 0] = kind
        self.out[y, x, {MOVE: 1, HARVEST: 2, RETURN: 3, PRODUCE: 4}[kind]] = direction
        if kind in (MOVE, PRODUCE):
            self.claimed.add((y + int(DIR_DY[direction]), x + int(DIR_DX[direction])))
        return True


def fill_unused(actions: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
    """Give every parameter that a cell's action does not use a legal value, where it has one.

    The rules ignore unused parameters, but a generic checker (``agentctl check-plugin``) can only
    ask that each component with a legal value takes one, as a sampling policy's do. The bots
    choose only the parameters they use; this fills the rest with the first legal value.
    """
    k = actions.shape[0]
    a = actions.reshape(k, -1, 7)
    m = action_mask.reshape(k, -1, MASK_SIZE)
    for j in range(1, 7):  # the action type (component 0) is always chosen legally
        comp = m[..., MASK_OFFSETS[j]:MASK_OFFSETS[j] + ACTION_NVEC[j]]
        chosen = np.take_along_axis(comp, a[..., j:j + 1], axis=-1)[..., 0]
        a[..., j] = np.where(comp.any(-1) & ~chosen, comp.argmax(-1), a[..., j])
    return a.reshape(k, -1)


class PassiveBot:
    """Never does anything: every cell no-ops. The easiest opponent there is."""

    def __init__(self, seed: int | None = None):
        pass

    def act(self, observation: np.ndarray, action_mask: np.ndarray, *, game: Any = None,
            index: np.ndarray | None = None) -> np.ndarray:
        return fill_unused(np.zeros((observation.shape[0], action_mask.shape[1] // MASK_SIZE * 7), dtype=np.int64),
                           action_mask)


class _SeededBot:
    """A bot with its own random generator, whose state can be saved and restored."""

    def __init__(self, seed: int | None = None):
        self.rng = np.random.default_rng(seed)

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]


class RandomBot(_SeededBot):
    """A uniformly random legal action in every cell (component by component, ``sampling.py``)."""

    def act(self, observation: np.ndarray, action_mask: np.ndarray, *, game: Any = None,
            index: np.ndarray | None = None) -> np.ndarray:
        k, _, h, w = observation.shape
        actions = sample_actions(action_mask.reshape(k, h, w, MASK_SIZE), self.rng)
        return actions.reshape(k, -1).astype(np.int64)


class ScriptedBot(_SeededBot):
    """Shared machinery: decode the board, then let ``play`` give each game's idle units their orders.

    Ties between equally good choices are broken at random (a small jitter below one step), so two
    mirrored bots do not walk into the same cell, fail, and try again forever.
    """

    def act(self, observation: np.ndarray, action_mask: np.ndarray, *, game: Any = None,
            index: np.ndarray | None = None) -> np.ndarray:
        k, _, h, w = observation.shape
        masks = action_mask.reshape(k, h, w, MASK_SIZE)
        out = np.zeros((k, h, w, 7), dtype=np.int64)
        board = Board.read(observation)
        jitter = self.rng.random((k, h, w, 4)) * 0.5
        can_act = masks[..., MOVE:ATTACK + 1].any(axis=-1)
        stock = known_stock(masks)
        for g in np.flatnonzero(can_act.any(axis=(1, 2))).tolist():
            self.play(GameTurn(board, g, masks[g], out[g], jitter[g], int(stock[g]), can_act[g]))
        return fill_unused(out.reshape(k, -1), action_mask)

    def play(self, turn: GameTurn) -> None:
        raise NotImplementedError

    @staticmethod
    def fight_or_hunt(turn: GameTurn, y: int, x: int) -> None:
        """An army unit's whole life: hit an enemy in range, else walk toward the nearest one."""
        if not turn.attack(y, x):
            turn.move_toward(y, x, turn.board.to_enemy)

    @classmethod
    def work(cls, turn: GameTurn, workers: list[tuple[int, int]], harvesters: set[tuple[int, int]]) -> None:
        """Harvesters harvest, every other worker fights; any worker with an enemy in range hits it first."""
        for y, x in workers:
            if turn.attack(y, x):
                continue
            if (y, x) in harvesters:
                turn.harvest_or_return(y, x)
            else:
                turn.move_toward(y, x, turn.board.to_enemy)


class WorkerRushBot(ScriptedBot):
    """microRTS's WorkerRush: a flood of cheap workers, one harvesting to pay for the next."""

    harvesters = 1

    def play(self, turn: GameTurn) -> None:
        for y, x in turn.idle(BASE):
            turn.produce(y, x, WORKER, turn.board.to_enemy)
        self.work(turn, turn.idle(WORKER), turn.harvesters(self.harvesters))


class LightRushBot(ScriptedBot):
    """microRTS's LightRush: a small economy, one barracks, then light units (fast, 4 hp) on the nearest enemy."""

    harvesters = 2
    max_workers = 2

    def play(self, turn: GameTurn) -> None:
        if turn.count(BARRACKS) == 0 and turn.count(WORKER, busy_with=PRODUCE) == 0:
            self.build_barracks(turn)
        for y, x in turn.idle(BARRACKS):
            turn.produce(y, x, LIGHT, turn.board.to_enemy)
        workers_coming = turn.count(BASE, busy_with=PRODUCE)
        for y, x in turn.idle(BASE):
            if turn.count(WORKER) + workers_coming < self.max_workers and turn.produce(y, x, WORKER, turn.board.to_pile):
                workers_coming += 1
        for y, x in turn.idle(LIGHT):
            self.fight_or_hunt(turn, y, x)
        self.work(turn, turn.idle(WORKER), turn.harvesters(self.harvesters))

    @staticmethod
    def build_barracks(turn: GameTurn) -> None:
        """The first idle worker that can afford it builds a barracks, on its side away from the enemy."""
        for y, x in turn.idle(WORKER):
            if turn.produce(y, x, BARRACKS, turn.board.to_enemy, away=True):
                return


BOTS = {"passive": PassiveBot, "random": RandomBot, "worker_rush": WorkerRushBot, "light_rush": LightRushBot}


@dataclass
class MatchResult:
    """Seat 0's results over ``games`` games, and the orders each seat gave that the rules refused."""

    wins: int
    draws: int
    losses: int
    illegal: tuple[int, int]

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses


def play_match(bot0: Bot, bot1: Bot, n_games: int, rts_map: RtsMap, max_ticks: int = 2000) -> MatchResult:
    """Play ``n_games`` games of ``bot0`` (seat 0) against ``bot1`` (seat 1) to the end, on the engine directly.

    Each bot is asked only about its running games, each from its own seat's view.
    """
    state = new_games(rts_map, n_games, max_ticks=max_ticks)
    shape = state.kind.shape + (7,)
    while not state.done.all():
        running = np.flatnonzero(~state.done)
        actions = []
        for seat, bot in ((0, bot0), (1, bot1)):
            obs = observe(state, seat)[running].transpose(0, 3, 1, 2)
            masks = action_masks(state, seat)[running].reshape(len(running), -1)
            chosen = np.zeros(shape, dtype=np.int32)
            chosen[running] = bot.act(obs, masks, index=running).reshape((len(running),) + shape[1:])
            actions.append(chosen)
        step(state, actions[0], actions[1])
    winner = state.winner
    return MatchResult(wins=int((winner == 0).sum()), draws=int((winner == -1).sum()),
                       losses=int((winner == 1).sum()), illegal=(int(state.illegal[:, 0].sum()), int(state.illegal[:, 1].sum())))
