"""Categorical action distributions on raw tensors (no ``torch.distributions`` objects).

Built once per policy and called every env step and every minibatch, so every method is a
handful of tensor ops: one ``log_softmax`` per call, no per-call object construction, and no
loop over components. A MultiDiscrete ``nvec`` is seen as a pattern ``P`` repeated ``K`` times
(its smallest period: equal sizes are a pattern of one, a per-cell grid action space is the
cell's pattern tiled once per cell, anything else is one repeat of itself), so every op reshapes
to ``[..., K, sum(P)]`` and splits into only ``len(P)`` pieces, however many components there are.

Invalid-action masks use a large *finite* negative (never ``-inf``), so ``log_softmax``,
entropy and their gradients stay finite, while illegal actions still get probability exactly 0
(``exp`` underflows) and contribute exactly 0 to entropy.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from agentctl.spaces import smallest_period

__all__ = ["ActionDist", "large_negative", "masked_logits"]


def large_negative(dtype: torch.dtype) -> float:
    """Fill value for illegal logits.

    -1e9 where the dtype can hold it (exp underflows to exactly 0 in fp32/fp64/bf16, and a
    gradient through ``p * log p`` stays finite even under AMP loss scaling); half the dtype's
    minimum otherwise (fp16), so ``x - max(x)`` inside ``log_softmax`` cannot overflow.
    """
    return max(torch.finfo(dtype).min / 2, -1e9)


def masked_logits(logits: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Logits with illegal entries (``mask`` False) replaced by a large finite negative."""
    if mask is None:
        return logits
    if mask.dtype != torch.bool:
        mask = mask.bool()
    return logits.masked_fill(~mask, large_negative(logits.dtype))


class ActionDist:
    """Categorical over one or more independent components (Discrete = one component,
    MultiDiscrete = nvec).

    ``logits`` are ``[..., num_logits]`` (components concatenated), ``mask`` is a bool tensor of
    the same shape (True = legal; CleanRL gridnet convention) or None. Actions are int64
    ``[...]`` for a single Discrete, ``[..., len(nvec)]`` otherwise. A component with no legal
    action at all (a parameter the chosen action type ignores, say) is uniform over its values:
    a finite, constant log-prob and entropy, with zero gradient into its logits.
    """

    def __init__(self, nvec: Sequence[int], *, discrete: bool | None = None) -> None:
        """``discrete`` (default: ``len(nvec) == 1``) picks the action shape: ``[...]`` when
        True, ``[..., K]`` when False, so a ``MultiDiscrete([n])`` keeps its trailing axis."""
        nvec = [int(n) for n in nvec]
        if not nvec or any(n < 1 for n in nvec):
            raise ValueError(f"ActionDist needs a non-empty nvec of positive sizes, got {nvec}")
        if discrete is None:
            discrete = len(nvec) == 1
        elif discrete and len(nvec) != 1:
            raise ValueError(f"discrete=True needs exactly one component, got nvec={nvec}")
        self.nvec: tuple[int, ...] = tuple(nvec)
        self.num_logits: int = sum(nvec)
        self.num_components: int = len(nvec)
        self.is_discrete: bool = discrete
        # nvec = pattern tiled `repeats` times: ops reshape to [..., repeats, sum(pattern)] and
        # split into len(pattern) pieces (one piece, no split, when all sizes are equal).
        self._pattern: tuple[int, ...] = smallest_period(self.nvec)
        self._repeats: int = len(nvec) // len(self._pattern)
        self._offsets_cpu = torch.tensor([0, *nvec[:-1]], dtype=torch.int64).cumsum(0)
        self._offsets: dict[torch.device, torch.Tensor] = {}

    @classmethod
    def from_space(cls, space) -> ActionDist:
        """Build from a gymnasium ``Discrete`` or 1-D ``MultiDiscrete`` space."""
        from gymnasium import spaces

        if isinstance(space, spaces.Discrete):
            if int(space.start) != 0:
                raise ValueError(
                    f"Discrete action space with start={int(space.start)} is not supported: "
                    "actions are indices 0..n-1; shift them in the env wrapper"
                )
            return cls([int(space.n)])
        if isinstance(space, spaces.MultiDiscrete):
            if space.nvec.ndim != 1:
                raise ValueError(
                    f"MultiDiscrete action space must have a 1-D nvec, got shape "
                    f"{tuple(space.nvec.shape)}; flatten it in the env wrapper"
                )
            start = getattr(space, "start", None)
            if start is not None and (start != 0).any():
                raise ValueError("MultiDiscrete action space with nonzero start is not supported")
            return cls(space.nvec.tolist(), discrete=False)
        raise ValueError(
            f"unsupported action space {space!r}: ActionDist handles gymnasium Discrete and "
            "1-D MultiDiscrete only (for Box actions use the mlp policy, whose head is a Gaussian)"
        )

    def __repr__(self) -> str:
        return f"ActionDist(nvec={list(self.nvec)})"

    # -- internals -------------------------------------------------------------------------

    def _offset(self, device: torch.device) -> torch.Tensor:
        off = self._offsets.get(device)
        if off is None:
            off = self._offsets[device] = self._offsets_cpu.to(device)
        return off

    def _log_softmax(self, x: torch.Tensor) -> torch.Tensor:
        """Per-component log-softmax, concatenated back to ``[..., num_logits]``."""
        if self.is_discrete:
            return x.log_softmax(-1)
        y = x.reshape(*x.shape[:-1], self._repeats, sum(self._pattern))
        if len(self._pattern) == 1:
            y = y.log_softmax(-1)
        else:
            y = torch.cat([s.log_softmax(-1) for s in y.split(self._pattern, dim=-1)], dim=-1)
        return y.reshape(x.shape)

    def _argmax(self, x: torch.Tensor) -> torch.Tensor:
        """Per-component argmax of ``[..., num_logits]`` scores."""
        if self.is_discrete:
            return x.argmax(-1)
        y = x.reshape(*x.shape[:-1], self._repeats, sum(self._pattern))
        if len(self._pattern) == 1:
            return y.argmax(-1)
        picks = torch.stack([s.argmax(-1) for s in y.split(self._pattern, dim=-1)], dim=-1)
        return picks.reshape(*x.shape[:-1], self.num_components)

    def _gather(self, logp: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Sum over components of the log-prob of the taken action."""
        if actions.dtype != torch.int64:
            actions = actions.long()
        if self.is_discrete:
            return logp.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
        return logp.gather(-1, actions + self._offset(actions.device)).sum(-1)

    @staticmethod
    def _gumbel(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Gumbel(0, 1) noise of ``x``'s shape, always float32 (or float64 for float64 logits):
        in bf16/fp16 the uniform draw has 8-11 bits, so ``-log(-log(u))`` is coarsely quantised
        and its tail clipped, which biases the sample. Adding it to low-precision logits
        promotes the sum to float32, so the argmax is taken at full precision."""
        dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
        device = generator.device if generator is not None else x.device
        u = torch.rand(x.shape, generator=generator, device=device, dtype=dtype)
        if u.device != x.device:
            u = u.to(x.device)
        fi = torch.finfo(dtype)
        u.clamp_(fi.tiny, 1.0 - fi.eps)
        return -torch.log(-torch.log(u))

    # -- public API ------------------------------------------------------------------------

    def to_env(self, actions: torch.Tensor) -> torch.Tensor:
        """The action the env receives for a sampled one: the same indices (a Gaussian head
        clips or squashes here, see :mod:`agentctl.nn.gaussian`)."""
        return actions

    def sample(
        self,
        logits: torch.Tensor,
        mask: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Sample actions with the Gumbel-max trick (argmax of logits + Gumbel noise)."""
        x = masked_logits(logits, mask)
        return self._argmax(x + self._gumbel(x, generator))

    def mode(self, logits: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Most likely legal action per component."""
        return self._argmax(masked_logits(logits, mask))

    def log_prob(
        self, logits: torch.Tensor, actions: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """log pi(a|s), summed over components -> ``[...]``."""
        return self._gather(self._log_softmax(masked_logits(logits, mask)), actions)

    def entropy(self, logits: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Entropy summed over components, over legal actions only -> ``[...]``.

        The sum of component entropies is ``-sum(p * log p)`` over the whole concatenated
        vector; illegal entries have p == 0 and a finite log p, so they add exactly 0.
        """
        logp = self._log_softmax(masked_logits(logits, mask))
        return -(logp.exp() * logp).sum(-1)

    def kl(self, ref_logits: torch.Tensor, logits: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """KL(ref || this) over legal actions, summed over components -> ``[...]`` (exact, both
        distributions masked alike: illegal entries have probability 0 under both)."""
        ref = self._log_softmax(masked_logits(ref_logits, mask))
        logp = self._log_softmax(masked_logits(logits, mask))
        return (ref.exp() * (ref - logp)).sum(-1)

    def evaluate(
        self, logits: torch.Tensor, actions: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(log_prob, entropy) from one log_softmax: the training-step path."""
        logp = self._log_softmax(masked_logits(logits, mask))
        return self._gather(logp, actions), -(logp.exp() * logp).sum(-1)

    def sample_with_log_prob(
        self,
        logits: torch.Tensor,
        mask: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(actions, log_prob) from one log_softmax: the rollout path.

        Gumbel-max on the log-probs picks the same argmax as on the logits (per-component
        shift), so the normalized tensor serves both.
        """
        logp = self._log_softmax(masked_logits(logits, mask))
        actions = self._argmax(logp + self._gumbel(logp, generator))
        return actions, self._gather(logp, actions)
