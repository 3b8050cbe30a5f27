"""`agentctl play --env go`: a human (scripted stdin) against the random agent."""

import subprocess
import sys


def test_play_cli_draws_board_reprompts_and_quits():
    moves = "\n".join(["Z9", "D4", "D4", "pass", "quit"]) + "\n"
    p = subprocess.run([sys.executable, "-m", "agentctl.cli", "play", "--env", "go", "--board-size", "7"],
                       input=moves, capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "A B C D E F G" in out  # GTP coordinates, no I
    assert "(X)" in out  # our D4, marked as the last move when drawn
    assert out.count("agent plays") >= 1
    lowered = out.lower()
    assert "z9" in lowered and ("illegal" in lowered or "not a" in lowered or "invalid" in lowered)
    assert "occupied" in lowered or "illegal" in lowered  # D4 a second time
    assert "captures" in lowered and "score" in lowered
