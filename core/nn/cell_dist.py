"""Per-cell actions where most cells have no choice: the distribution of GridNet policies.

A grid game gives every cell an action (a pattern ``P`` of components, tiled over the cells),
but on a real board most cells are empty or hold a busy unit: their mask leaves one legal value
per component (no-op) or none. Such a cell's action is *forced*, so it adds exactly nothing to
the log-probability or the entropy, and there is nothing to sample. :class:`CellActionDist`
computes only on the cells with a choice (a component with two or more legal values), gathered
into one small tensor: on an 8x8 RTS board that is a handful of the 64 cells, and the
distribution, which cost as much as the network, becomes a small fraction of it.

Its conventions, which the rollout and the update share, so PPO's ratios are exact:

- a component with exactly one legal value takes it, with log-prob 0;
- a component with no legal value (a parameter the cell's legal action types do not use, such
  as an attack target with no enemy near) takes value 0 and adds 0 to log-prob and entropy;
- without a mask every cell has a choice, and it is :class:`ActionDist` exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from agentctl.nn.distributions import ActionDist, masked_logits

__all__ = ["CellActionDist"]


class CellActionDist(ActionDist):
    """``cells`` copies of the components ``cell_nvec``, cell-major (cell 0's components first)."""

    def __init__(self, cell_nvec: Sequence[int], cells: int) -> None:
        super().__init__(list(cell_nvec) * cells, discrete=False)
        self.cell_nvec = tuple(int(n) for n in cell_nvec)
        self.cells = cells
        self.width = sum(self.cell_nvec)  # logits per cell
        component = torch.repeat_interleave(torch.arange(len(self.cell_nvec)), torch.tensor(self.cell_nvec))
        self._onehot_cpu = torch.nn.functional.one_hot(component, len(self.cell_nvec)).float()  # [width, C]
        self._cell_offsets_cpu = torch.tensor([0, *self.cell_nvec[:-1]], dtype=torch.int64).cumsum(0)
        self._consts: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    def __repr__(self) -> str:
        return f"CellActionDist(cell_nvec={list(self.cell_nvec)}, cells={self.cells})"

    def _const(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if device not in self._consts:
            self._consts[device] = (self._onehot_cpu.to(device), self._cell_offsets_cpu.to(device))
        return self._consts[device]

    def _cell_log_softmax(self, x: torch.Tensor) -> torch.Tensor:
        """Per-component log-softmax of rows [n, width]."""
        return torch.cat([s.log_softmax(-1) for s in x.split(self.cell_nvec, dim=-1)], dim=-1)

    def _cell_argmax(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([s.argmax(-1) for s in x.split(self.cell_nvec, dim=-1)], dim=-1)

    def _layout(self, logits: torch.Tensor, mask: torch.Tensor):
        """Rows of the cells with a choice: (flat cell index [n], their per-component log-probs
        [n, width], their components' "has a legal value" [n, C]); N = batch * cells in all."""
        onehot, _ = self._const(logits.device)
        m = mask.reshape(-1, self.width)
        counts = m.to(onehot.dtype) @ onehot  # [N, C] legal values per component
        rows = (counts > 1).any(-1).nonzero().squeeze(-1)
        logp = self._cell_log_softmax(masked_logits(logits.reshape(-1, self.width)[rows], m[rows]))
        return rows, logp, counts[rows] > 0

    def _log_prob(self, logp: torch.Tensor, has_legal: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """[n]: the log-prob of rows' actions [n, C]; components with no legal value add nothing."""
        _, offsets = self._const(logp.device)
        return (logp.gather(-1, actions + offsets) * has_legal.to(logp.dtype)).sum(-1)

    def _entropy(self, logp: torch.Tensor, has_legal: torch.Tensor) -> torch.Tensor:
        """[n]: the rows' entropy over the components that have a legal value."""
        onehot, _ = self._const(logp.device)
        return (-(logp.exp() * logp) * (has_legal.to(logp.dtype) @ onehot.T)).sum(-1)

    def _per_sample(self, rows: torch.Tensor, values: torch.Tensor, lead: torch.Size) -> torch.Tensor:
        out = torch.zeros(lead.numel(), dtype=values.dtype, device=values.device)
        out.index_add_(0, torch.div(rows, self.cells, rounding_mode="floor"), values)
        return out.reshape(lead)

    # -- the ActionDist interface ----------------------------------------------------------------
    def _pick(self, logits: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None,
              greedy: bool) -> tuple[torch.Tensor, torch.Tensor]:
        lead = logits.shape[:-1]
        rows, logp, has_legal = self._layout(logits, mask)
        forced = self._cell_argmax(mask.reshape(-1, self.width).to(torch.int8))  # the one legal value, or 0
        scores = logp if greedy else logp + self._gumbel(logp, generator)
        picked = self._cell_argmax(scores) * has_legal  # no legal value: 0
        actions = forced.index_copy(0, rows, picked)
        return actions.reshape(*lead, -1), self._per_sample(rows, self._log_prob(logp, has_legal, picked), lead)

    def sample(self, logits, mask=None, generator=None):
        if mask is None:
            return super().sample(logits, mask, generator)
        return self._pick(logits, mask, generator, greedy=False)[0]

    def mode(self, logits, mask=None):
        if mask is None:
            return super().mode(logits, mask)
        return self._pick(logits, mask, None, greedy=True)[0]

    def sample_with_log_prob(self, logits, mask=None, generator=None):
        if mask is None:
            return super().sample_with_log_prob(logits, mask, generator)
        return self._pick(logits, mask, generator, greedy=False)

    def evaluate(self, logits, actions, mask=None):
        if mask is None:
            return super().evaluate(logits, actions, mask)
        lead = logits.shape[:-1]
        rows, logp, has_legal = self._layout(logits, mask)
        cell_actions = actions.reshape(-1, len(self.cell_nvec))[rows].long()
        return (self._per_sample(rows, self._log_prob(logp, has_legal, cell_actions), lead),
                self._per_sample(rows, self._entropy(logp, has_legal), lead))

    def log_prob(self, logits, actions, mask=None):
        return self.evaluate(logits, actions, mask)[0]

    def entropy(self, logits, mask=None):
        if mask is None:
            return super().entropy(logits, mask)
        rows, logp, has_legal = self._layout(logits, mask)
        return self._per_sample(rows, self._entropy(logp, has_legal), logits.shape[:-1])
