"""Go: batched rules engine, batched games for training, PettingZoo AEC env, GTP client/server."""
from .engine import BLACK, EMPTY, WHITE, GoEngine, action_to_gtp, gtp_to_action
from .env import GoAECEnv, env, raw_env

__all__ = ["BLACK", "EMPTY", "WHITE", "GoAECEnv", "GoEngine", "action_to_gtp", "env", "gtp_to_action",
           "raw_env"]
