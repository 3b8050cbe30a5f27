"""Built-in plugin: the policy networks every env can use (mlp, cnn, resnet).

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
