"""Connect Four for agentctl: an example third-party plugin package."""

__version__ = "0.1.0"
