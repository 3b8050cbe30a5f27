"""The ``kind="sequence"`` contract: what a text-generation env factory returns.

A sequence env is a *task*, not a simulator: prompts to sample from, the rules that end a
completion, and the registered reward(s) that score a finished completion. Each generated
token is one action; the PPO engine (:mod:`agentctl.ppo.sequence_trainer`) does the
generating, the KL penalty and the scoring, so a task is a few lines of plain Python with no
torch and no agentctl imports (it satisfies this dataclass's shape by returning one).

The factory is called like every env factory, ``make(num_envs, seed, **env_kwargs)``:
``num_envs`` is how many completions one rollout generates, ``seed`` seeds its prompt order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from agentctl.errors import UserError

__all__ = ["SequenceTask", "as_task"]


@dataclass
class SequenceTask:
    """Prompts, stop rules and rewards of a text task.

    - ``prompts``: the texts completions continue (at least one; sampled uniformly, without
      replacement within an epoch over the list, so every prompt is seen equally often).
    - ``reward``: which registered reward(s) score a completion, as a reward spec:
      ``"sentiment"``, ``"keyword:great|good"``, ``"python:my_pkg.rewards:score"``, or a
      weighted sum ``"sentiment+0.1*length:24"``. Users override it with ``--set reward=...``.
    - ``stop``: strings that end a completion early (it is cut just after the first one);
      the tokenizer's end-of-sequence token and ``num_steps`` (the token budget) always end it.
    - ``min_new_tokens``: a completion cannot end (by EOS or a stop string) before this many
      tokens; at least ``num_steps`` means every completion is exactly ``num_steps`` tokens. Without
      it, a KL penalty per token can teach the policy that the cheapest text is none at all.
    - ``pass_score``: a completion scoring at least this counts as solving its prompt, for
      ``agentctl eval --k`` (pass@k); None (default): the task has no notion of solved.
    - ``demonstrations``: complete example texts (a prompt followed by a good completion) that
      the built-in warm start (``init = "pretrained"``) also learns from, mixed into its corpus:
      supervised fine-tuning before PPO. Training data only: never texts you evaluate on.
    - ``info``: free-form facts shown by ``agentctl envs``/``check-plugin`` (e.g. the source
      of the prompts).
    """

    prompts: Sequence[str]
    reward: str = "length"
    stop: Sequence[str] = ()
    min_new_tokens: int = 0
    pass_score: float | None = None
    demonstrations: Sequence[str] = ()
    info: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None

    def __post_init__(self) -> None:
        self.prompts = list(self.prompts)
        self.stop = tuple(self.stop)
        if not self.prompts:
            raise UserError("a sequence task needs at least one prompt, got none")
        bad = next((p for p in self.prompts if not isinstance(p, str)), None)
        if bad is not None:
            raise UserError(f"sequence task prompts must be strings, got {type(bad).__name__} {bad!r:.60}")
        if not isinstance(self.reward, str) or not self.reward.strip():
            raise UserError(f"sequence task reward must be a reward spec such as 'sentiment', got {self.reward!r}")
        if any(not isinstance(s, str) or not s for s in self.stop):
            raise UserError(f"sequence task stop strings must be non-empty strings, got {self.stop!r}")
        if not isinstance(self.min_new_tokens, int) or self.min_new_tokens < 0:
            raise UserError(f"sequence task min_new_tokens must be an integer >= 0, got {self.min_new_tokens!r}")
        self.demonstrations = tuple(self.demonstrations)
        if any(not isinstance(d, str) or not d.strip() for d in self.demonstrations):
            raise UserError("sequence task demonstrations must be non-empty strings")
        if self.pass_score is not None and not isinstance(self.pass_score, (int, float)):
            raise UserError(f"sequence task pass_score must be a number or None, got {self.pass_score!r}")
        self._rng = np.random.default_rng(self.seed)
        self._order: list[int] = []

    def sample_prompts(self, n: int) -> list[str]:
        """The next ``n`` prompts of a shuffled pass over the list (reshuffled per pass)."""
        out = []
        while len(out) < n:
            if not self._order:
                self._order = list(self._rng.permutation(len(self.prompts)))
            out.append(self.prompts[self._order.pop()])
        return out

    # The trainer saves and restores the prompt order, so a resumed run sees the same prompts.
    def state_dict(self) -> dict[str, Any]:
        return {"rng": self._rng.bit_generator.state, "order": list(map(int, self._order))}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._rng.bit_generator.state = state["rng"]
        self._order = list(state["order"])

    def close(self) -> None:
        """Tasks hold no resources; here so a task closes like every env."""


def as_task(obj: Any, env_name: str) -> SequenceTask:
    """The factory's product as a :class:`SequenceTask`, or one line saying what it returned."""
    if isinstance(obj, SequenceTask):
        return obj
    raise UserError(f"sequence env {env_name!r} must return agentctl.sequences.SequenceTask from its factory, "
                    f"got {type(obj).__name__}")
