"""Play-time search: PUCT Monte Carlo tree search guided by a policy/value net (AlphaZero-style).

PPO trains the net; search multiplies its strength when it plays. Priors come from the masked
softmax of the policy logits, leaf values from the value head (no rollouts), terminal nodes from
the game's own result. Values are always "for the player to move", so a two-player zero-sum
game negates them on the way up wherever the mover changes (``to_play`` is the source of truth:
a game may let a player move twice in a row).

This module knows no game. It works on any object with the duck-typed **search state**
protocol, :class:`agentctl.contracts.SearchState` (``clone``, ``play``, ``legal_mask``,
``observation``, ``is_over``, ``to_play``, ``result_for``; re-exported here), which a batch of
games hands out through ``search_state(i)`` (:class:`agentctl.contracts.SearchableGames`).

Leaves are evaluated by an ``evaluate(states) -> (priors [k, A], values [k])`` callable;
:class:`NetEvaluator` wraps an agentctl ActorCritic (``policy(obs) -> (logits, value)``).
:meth:`MCTS.search_many` runs several independent trees in lockstep so their leaves share one
batched forward pass (how ``agentctl eval --playouts`` searches all its games at once); no
virtual loss, so each tree's search is exactly the sequential algorithm.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from agentctl.contracts import SearchState

__all__ = ["MCTS", "NetEvaluator", "Node", "SearchState", "search_actions", "supports_search"]


Evaluator = Callable[[Sequence[Any]], tuple[np.ndarray, np.ndarray]]


class Node:
    """One position. Edge statistics live in the parent: ``visits[j]``, ``value_sum[j]`` for
    ``actions[j]``, with values from the view of this node's player to move (``player``)."""

    __slots__ = ("actions", "children", "n", "player", "priors", "state", "terminal", "value", "value_sum",
                 "visits")

    def __init__(self, state: Any) -> None:
        self.state = state
        self.player = state.to_play()
        self.terminal = bool(state.is_over())
        self.value = state.result_for(self.player) if self.terminal else 0.0  # for self.player
        self.actions: np.ndarray | None = None  # None until expanded
        self.priors = self.visits = self.value_sum = None
        self.children: dict[int, Node] = {}
        self.n = 0  # times this node was reached (its own evaluation included)

    @property
    def expanded(self) -> bool:
        return self.actions is not None

    def expand(self, priors: np.ndarray, value: float) -> None:
        mask = np.asarray(self.state.legal_mask(), dtype=bool)
        self.actions = np.flatnonzero(mask)
        if self.actions.size == 0:
            raise ValueError("a state that is not over must have a legal action")
        p = np.asarray(priors, dtype=np.float64)[self.actions]
        total = p.sum()
        self.priors = p / total if total > 0 and np.isfinite(total) else np.full(p.size, 1.0 / p.size)
        self.visits = np.zeros(self.actions.size, dtype=np.int64)
        self.value_sum = np.zeros(self.actions.size, dtype=np.float64)
        self.value = float(value)

    def child(self, j: int) -> Node:
        a = int(self.actions[j])
        node = self.children.get(a)
        if node is None:
            state = self.state.clone()
            state.play(a)
            node = self.children[a] = Node(state)
        return node


class MCTS:
    """PUCT search: pick ``argmax Q + c_puct * P * sqrt(N) / (1 + n)`` down the tree, expand one
    leaf per playout with the net, back its value up (sign flipped where the mover changes).

    ``fpu_reduction``: an unvisited child's Q is the parent's own value estimate minus this
    (the "first play urgency" of Leela Zero; 0 treats unvisited moves as average).
    """

    def __init__(self, evaluate: Evaluator, c_puct: float = 1.5, fpu_reduction: float = 0.2) -> None:
        self.evaluate = evaluate
        self.c_puct = float(c_puct)
        self.fpu_reduction = float(fpu_reduction)

    # -- public ---------------------------------------------------------------------------
    def search(self, state: Any, playouts: int) -> Node:
        """Search from ``state`` (left untouched); returns the root, its children visited
        ``playouts`` times in all."""
        return self.search_many([state], playouts)[0]

    def search_many(self, states: Sequence[Any], playouts: int) -> list[Node]:
        """Independent searches, one per state, whose leaf evaluations are batched together."""
        if playouts < 1:
            raise ValueError(f"playouts must be >= 1, got {playouts}")
        roots = [Node(s.clone()) for s in states]
        if any(r.terminal for r in roots):
            raise ValueError("cannot search from a finished game")
        self._expand(roots)
        for r in roots:
            r.n = 1
        for _ in range(playouts):
            paths = [self._select(r) for r in roots]
            leaves = [node.children[int(node.actions[j])] for node, j in (p[-1] for p in paths)]
            fresh = [leaf for leaf in leaves if not leaf.terminal and not leaf.expanded]
            if fresh:
                self._expand(fresh)
            for path, leaf in zip(paths, leaves):
                self._backup(path, leaf)
        return roots

    def choose(self, state: Any, playouts: int) -> int:
        """The most visited root action."""
        return best_action(self.search(state, playouts))

    def choose_many(self, states: Sequence[Any], playouts: int) -> np.ndarray:
        return np.array([best_action(r) for r in self.search_many(states, playouts)], dtype=np.int64)

    # -- internals ------------------------------------------------------------------------
    def _expand(self, nodes: list[Node]) -> None:
        priors, values = self.evaluate([n.state for n in nodes])
        for node, p, v in zip(nodes, priors, values):
            node.expand(p, float(np.clip(v, -1.0, 1.0)))

    def _select(self, root: Node) -> list[tuple[Node, int]]:
        """Descend from a (non-terminal, expanded) root: the (node, chosen child index) pairs
        walked; the last pair's child is the leaf, new (unexpanded, created here) or terminal."""
        path: list[tuple[Node, int]] = []
        node = root
        while True:
            j = self._pick(node)
            path.append((node, j))
            child = node.child(j)
            if child.terminal or not child.expanded:
                return path
            node = child

    def _pick(self, node: Node) -> int:
        n = node.visits
        q = np.where(n > 0, node.value_sum / np.maximum(n, 1), node.value - self.fpu_reduction)
        u = self.c_puct * node.priors * math.sqrt(node.n) / (1.0 + n)
        return int(np.argmax(q + u))

    def _backup(self, path: list[tuple[Node, int]], leaf: Node) -> None:
        value, player = leaf.value, leaf.player  # the leaf's value for its own player to move
        leaf.n += 1
        for node, j in reversed(path):
            v = value if node.player == player else -value
            node.visits[j] += 1
            node.value_sum[j] += v
            node.n += 1


def best_action(root: Node) -> int:
    """Most visited action; ties go to the higher prior."""
    order = np.lexsort((root.priors, root.visits))
    return int(root.actions[order[-1]])


class NetEvaluator:
    """``evaluate(states)`` for an agentctl ActorCritic: one batched forward pass, priors the
    softmax over legal actions of the policy logits, values from the value head (the expected
    result for the player to move)."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy

    def __call__(self, states: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        import torch
        from agentctl.nn.distributions import masked_logits

        dev = next(self.policy.parameters()).device
        obs = torch.as_tensor(np.stack([s.observation() for s in states]), dtype=torch.float32, device=dev)
        mask = torch.as_tensor(np.stack([np.asarray(s.legal_mask(), dtype=bool) for s in states]), device=dev)
        with torch.inference_mode():
            logits, value = self.policy(obs)
            priors = torch.softmax(masked_logits(logits.float(), mask), dim=-1)
        return priors.cpu().numpy(), value.float().reshape(len(states)).cpu().numpy()


def supports_search(games: Any) -> bool:
    """Whether a batch of turn-based games can hand out search states (``search_state(i)``)."""
    return callable(getattr(games, "search_state", None))


def search_actions(mcts: MCTS, games: Any, index: np.ndarray, playouts: int) -> np.ndarray:
    """Searched moves for games ``index`` of a turn-based batch, in the frame its observations
    use: search states are real-board positions, so a :class:`agentctl.contracts.FramedGames`
    batch (symmetry augmentation) maps the moves in with ``to_frame``."""
    index = np.asarray(index, dtype=np.int64)
    actions = mcts.choose_many([games.search_state(int(i)) for i in index], playouts)
    to_frame = getattr(games, "to_frame", None)
    return to_frame(index, actions) if to_frame is not None else actions
