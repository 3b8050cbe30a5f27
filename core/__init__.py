"""agentctl: one PPO engine, environments from plugins."""
