"""Built-in plugin: the policy networks every env can use (mlp, cnn, resnet, lm) and the rewards
of text tasks (sentiment, keyword, length, classifier).

An ordinary hook-implementing module, written exactly as a third-party plugin would be. The
host registers it itself (like llm's ``DEFAULT_PLUGINS``) rather than through the
``agentctl`` entry-point group, so the core networks exist whatever
``AGENTCTL_LOAD_PLUGINS`` / ``AGENTCTL_DISABLE_PLUGINS`` say: ``AGENTCTL_LOAD_PLUGINS=go``
still trains Go with ``resnet``. Builders are ``"pkg.mod:fn"`` strings, so listing plugins
imports no torch.
"""

from __future__ import annotations

import agentctl

AGENTCTL_API = 1


@agentctl.hookimpl
def register_policies(register) -> None:
    register("mlp", "agentctl.nn.mlp:build_mlp", description="Separate actor/critic MLPs (vector obs).")
    register("cnn", "agentctl.nn.cnn:build_cnn", description="Small CNN for (C, H, W) obs.")
    register("resnet", "agentctl.nn.resnet:build_resnet",
             description="Residual CNN for boards, any size (kwargs: blocks, channels).")
    register("lm", "agentctl.nn.lm:build_lm",
             description="Language model with a value head, for sequence envs: built-in GPT "
                         "(kwargs: n_layer, n_head, n_embd, context_length, tokenizer) or hf_model=PATH.")


@agentctl.hookimpl
def register_rewards(register) -> None:
    # Factories: each gets the text after ':' in a reward spec ("keyword:great|good" -> "great|good").
    register("sentiment", "agentctl.text.rewards:sentiment",
             description="VADER compound score of the response, -1..1 (offline lexicon).")
    register("keyword", "agentctl.text.rewards:keyword",
             description="Fraction of the words in keyword:w1|w2|... the response contains.")
    register("length", "agentctl.text.rewards:length",
             description="Closeness of the response's length to N characters (length:N, default 32), -1..1.")
    register("classifier", "agentctl.text.rewards:classifier",
             description="Probability of LABEL from a local HF classifier (classifier:PATH[@LABEL]; agentctl[hf]).")
