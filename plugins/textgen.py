"""First-party plugin: ``textgen``, RLHF-style PPO on a language model.

The task: continue movie-review openings ("the movie was") so that the text reads as
positive (the ``sentiment`` reward, VADER). The policy is the built-in GPT (``lm``, byte
tokenizer), warm-started by next-token training on the Python standard library's docstrings
(``init = "pretrained"``: trained once, about two minutes, then cached), so PPO starts from a
model that writes words rather than noise. Any part can be swapped: ``--set reward=...``,
``--set env_kwargs.prompts=FILE`` (text or JSONL), ``--set policy_kwargs.hf_model=PATH``.
"""

from __future__ import annotations

from typing import Any

import agentctl
from agentctl.errors import UserError

AGENTCTL_API = 1

TEXTGEN_DEFAULTS: dict[str, Any] = {
    # 313 updates of 16 completions x 20 tokens: about 2 minutes on 2 CPU cores (after the
    # one-time warm start). Measured, seeds 1 and 2: mean VADER score 0.019 -> 0.255 and
    # 0.000 -> 0.233 (first -> last 10% of completions), mean per-token KL 0.32 and 0.37 (target
    # 0.3). A lower target trades reward for closeness: 0.15 held KL at 0.15 and ended near 0.1.
    "total_timesteps": 100_000, "num_envs": 16, "num_steps": 20, "minibatch_size": 160,
    "update_epochs": 4, "learning_rate": 1e-4, "anneal_lr": False, "gamma": 1.0, "gae_lambda": 0.95,
    "vf_coef": 0.1, "ent_coef": 0.0, "max_grad_norm": 1.0, "kl_coef": 0.05, "kl_target": 0.3,
    "kl_horizon": 400, "temperature": 1.0, "init": "pretrained", "torch_threads": 1,
    "checkpoint_every": 50, "sample_every": 25,
}


def make_task(num_envs: int = 16, seed: int | None = None, prompts: str | None = None,
              reward: str = "sentiment", stop: list[str] | None = None, min_new_tokens: int = 20) -> Any:
    """The ``textgen`` task: prompts from ``prompts`` (a file; default the shipped openings).

    Completions are ``min_new_tokens`` long at least (20 = the default ``num_steps``: every
    completion has the same length, as in the classic sentiment fine-tuning setup); free to end
    sooner, the policy learns that ending at once avoids the KL penalty and every bad word."""
    from agentctl.envs.textgen import load_prompts
    from agentctl.sequences import SequenceTask

    try:
        texts = load_prompts(prompts)
    except (OSError, ValueError) as exc:
        raise UserError(f"textgen env_kwargs.prompts: {exc}") from None
    source = prompts or "the shipped movie-review openings"
    return SequenceTask(prompts=texts, reward=reward, stop=tuple(stop or ()), seed=seed, min_new_tokens=min_new_tokens,
                        info={"prompts": str(source), "count": len(texts)})


@agentctl.hookimpl
def register_envs(register) -> None:
    register("textgen", "agentctl.plugins.textgen:make_task", kind="sequence", policy="lm",
             description="Write positive movie-review text (token-level PPO on a small GPT; sentiment reward).",
             default_config=TEXTGEN_DEFAULTS)
