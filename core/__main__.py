"""``python -m agentctl``: the ``agentctl`` command (torchrun starts learner processes this way)."""

from agentctl.cli import main

if __name__ == "__main__":
    main()
