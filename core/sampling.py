"""``agentctl sample``: completions from a language-model checkpoint, scored when it can be.

A training checkpoint of a sequence env brings its env (prompts, reward spec) and config
(temperature, token budget); an ``agentctl pretrain`` checkpoint brings only its weights, so
its completions are unscored unless ``--prompt`` is given.
"""

from __future__ import annotations

from typing import Any

from agentctl import checkpoint as ckpt
from agentctl.assemble import default_registry, load_error, load_policy, make_envs
from agentctl.errors import UserError
from agentctl.registry import Registry


def _pretrained_policy(state: dict[str, Any]) -> Any:
    from agentctl.pretrain import build_model

    policy = build_model(state.get("policy_kwargs", {}))
    try:
        policy.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise UserError(f"{state['path']} does not fit its own policy_kwargs: {load_error(exc)}") from exc
    return policy.eval()


def sample_completions(path: str, registry: Registry | None, prompts: list[str], *, count: int = 1,
                       temperature: float | None = None, max_tokens: int | None = None, greedy: bool = False,
                       seed: int = 0) -> list[dict[str, Any]]:
    """``count`` completions of each prompt (default: the env's first prompts) as dicts with
    prompt, completion, tokens, ended and (for a training checkpoint) score."""
    registry = default_registry(registry)
    state = ckpt.load(path)
    if state.get("kind") == "pretrained":
        if not prompts:
            raise UserError(f"{state['path']} is a pretrained model with no env: give --prompt TEXT")
        return completions(_pretrained_policy(state), [p for p in prompts for _ in range(count)], None,
                           max_tokens=max_tokens or 32, temperature=temperature or 1.0, greedy=greedy, seed=seed)
    policy, spec, cfg = load_policy(state, registry)
    if spec.kind != "sequence":
        raise UserError(f"{state['path']} is a checkpoint of {spec.kind} env {spec.name!r}; "
                        "`agentctl sample` needs a sequence (text) env's checkpoint")
    task = make_envs(spec, cfg, num_envs=1, seed=seed)
    batch = [p for p in (prompts or list(task.prompts[:4])) for _ in range(count)]
    return completions(policy, batch, scorer_for(registry, cfg, task), stop=task.stop,
                       min_new_tokens=task.min_new_tokens,
                       max_tokens=max_tokens or cfg.num_steps, temperature=temperature or cfg.temperature,
                       greedy=greedy, seed=seed)


def scorer_for(registry: Registry, cfg: Any, task: Any) -> Any:
    from agentctl.text.scoring import build_scorer

    return build_scorer(registry, cfg.reward or task.reward)


def completions(policy: Any, prompts: list[str], scorer: Any, *, max_tokens: int, temperature: float,
                greedy: bool, seed: int, stop: tuple[str, ...] = (), min_new_tokens: int = 0) -> list[dict[str, Any]]:
    """One completion of each prompt (a row per prompt), scored by ``scorer`` when given."""
    import torch
    from agentctl.text.generate import complete

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        gen, texts = complete(policy, prompts, max_tokens, temperature=temperature, generator=generator,
                              greedy=greedy, stop=stop, min_new_tokens=min_new_tokens)
    scores = scorer(prompts, texts) if scorer is not None else [None] * len(texts)
    return [{"prompt": p, "completion": t, "tokens": int(n), "ended": bool(e),
             "score": None if s is None else float(s)}
            for p, t, n, e, s in zip(prompts, texts, gen.lengths.tolist(), gen.ended.tolist(), scores)]
