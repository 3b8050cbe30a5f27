"""pass@k: the chance that at least one of k sampled completions solves a problem.

Estimated without bias as in Chen et al. (2021), "Evaluating Large Language Models Trained on
Code": draw ``n >= k`` samples per problem, count the ``c`` that pass, and average
``1 - C(n - c, k) / C(n, k)`` over problems. (Taking ``1 - (1 - c/n)^k`` instead is biased
low.) The product form below avoids huge binomials.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from agentctl.errors import UserError

__all__ = ["evaluate_pass_at_k", "parse_ks", "pass_at_k"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with ``c`` passing samples out of ``n``."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def parse_ks(text: str) -> list[int]:
    """``"1,10"`` -> ``[1, 10]``; one line naming what is wrong otherwise."""
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise UserError(f"--k takes comma-separated whole numbers such as 1,10, got {text!r}") from None
    if not ks or ks[0] < 1:
        raise UserError(f"--k values must be >= 1, got {text!r}")
    return ks


def evaluate_pass_at_k(policy: Any, task: Any, scorer: Any, *, ks: Sequence[int], samples: int, temperature: float,
                       max_tokens: int, seed: int, batch: int = 64) -> dict[str, Any]:
    """Sample ``samples`` completions of every prompt of ``task``, score them, and report
    pass@k for each k (a completion passes when its score reaches ``task.pass_score``)."""
    from agentctl.sampling import completions

    if task.pass_score is None:
        raise UserError("this task does not say when a completion solves a prompt (its pass_score is unset): "
                        "pass@k needs one")
    if samples < max(ks):
        raise UserError(f"pass@{max(ks)} needs at least {max(ks)} samples per problem, got --samples {samples}")
    rows = [p for p in task.prompts for _ in range(samples)]
    scores: list[float] = []
    for start in range(0, len(rows), batch):
        chunk = completions(policy, rows[start:start + batch], scorer, max_tokens=max_tokens, temperature=temperature,
                            greedy=False, seed=seed + start, stop=task.stop, min_new_tokens=task.min_new_tokens)
        scores += [r["score"] for r in chunk]
    passed = (np.asarray(scores).reshape(len(task.prompts), samples) >= task.pass_score).sum(1)
    return {"problems": len(task.prompts), "samples_per_problem": samples, "temperature": temperature,
            **{f"pass@{k}": float(np.mean([pass_at_k(samples, int(c), k) for c in passed])) for k in ks},
            "mean_score": float(np.mean(scores)), "solved_problems": int((passed > 0).sum())}
