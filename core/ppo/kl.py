"""The KL penalty that keeps a fine-tuned language model near its reference model.

Each response token's reward carries ``-kl_coef * (log pi(a|s) - log pi_ref(a|s))``, the
per-token KL estimate along the sampled text (its mean over tokens estimates
KL(pi || pi_ref) per token). The coefficient adapts as in Ziegler et al. (2019), "Fine-Tuning
Language Models from Human Preferences": proportional control toward a target KL, with the
error clipped to +-20% so one noisy batch cannot swing it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["AdaptiveKL", "kl_penalty"]


def kl_penalty(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, coef: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(per-token KL estimate ``logp - ref_logp``, its penalty ``-coef * kl``); both shaped like
    the inputs. Padding is the caller's to mask: it is never summed here."""
    kl = logprobs - ref_logprobs
    return kl, -coef * kl


@dataclass
class AdaptiveKL:
    """``coef <- coef * (1 + clip(kl / target - 1, -0.2, 0.2) * n / horizon)`` after each batch
    of ``n`` completions whose mean per-token KL was ``kl``. ``target = 0`` keeps it fixed."""

    coef: float
    target: float = 0.0
    horizon: int = 1000

    def update(self, kl: float, n: int) -> float:
        if self.target > 0:
            error = min(max(kl / self.target - 1.0, -0.2), 0.2)
            self.coef *= 1.0 + error * n / self.horizon
        return self.coef
