"""Go: batched rules engine, PettingZoo AEC env, vector env, GTP client/server."""
from .engine import BLACK, EMPTY, WHITE, GoEngine, action_to_gtp, gtp_to_action
from .env import GoAECEnv, GoVectorEnv, env, raw_env

__all__ = ["BLACK", "EMPTY", "WHITE", "GoAECEnv", "GoEngine", "GoVectorEnv", "action_to_gtp",
           "env", "gtp_to_action", "raw_env"]
