"""GTP server (scripted session over a subprocess) and GTP client robustness."""
import subprocess
import sys
import textwrap

import pytest
from agentctl.envs.go.gtp_client import (
    GTPClient,
    GTPCommandError,
    GTPEngineDied,
    GTPTimeout,
    parse_score,
)
from agentctl.envs.go.gtp_server import COMMANDS, GTPServer

SERVER = [sys.executable, "-m", "agentctl.envs.go.gtp_server"]
# The same server behind the CLI (`agentctl gtp`), as users and GUIs start it.
CLI_SERVER = [sys.executable, "-m", "agentctl.cli", "gtp"]
SERVERS = pytest.mark.parametrize("server", [SERVER, CLI_SERVER], ids=["module", "agentctl-gtp"])


def _session(lines, *args, server=SERVER):
    p = subprocess.run(server + list(args), input="\n".join(lines) + "\n", capture_output=True,
                       text=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    blocks = p.stdout.split("\n\n")
    assert blocks[-1] == ""
    return blocks[:-1]


@SERVERS
def test_scripted_session_every_command(server):
    script = [
        "1 protocol_version", "2 name", "3 version", "4 known_command play",
        "5 known_command frobnicate", "6 list_commands", "7 boardsize 7", "8 clear_board",
        "9 komi 6.5", "10 play black D4", "11 play white D4", "12 genmove white",
        "13 showboard", "14 undo", "15 undo", "16 undo", "17 final_score",
        "# a comment line", "", "18 play b A1", "19 play w pass", "20 final_score",
        "21 quit", "22 name",
    ]
    r = _session(script, "--board-size", "9", server=server)
    assert r[0] == "=1 2" and r[1] == "=2 agentctl" and r[2].startswith("=3 ")
    assert r[3] == "=4 true" and r[4] == "=5 false"
    listed = r[5].split("\n")
    assert listed[0] == "=6" and set(listed[1:]) == set(COMMANDS)
    assert r[6] == "=7 " and r[7] == "=8 " and r[8] == "=9 " and r[9] == "=10 "
    assert r[10] == "?11 illegal move"
    assert r[11].startswith("=12 ") and r[11][4:] != ""
    board = r[12].split("\n")
    assert board[0] == "=13" and "A B C D E F G" in board[1] and any("X" in ln for ln in board)
    assert r[13] == "=14 " and r[14] == "=15 " and r[15] == "?16 cannot undo"
    assert r[16] == "=17 W+6.5"  # empty board, komi 6.5
    assert r[17] == "=18 " and r[18] == "=19 "
    assert r[19] == "=20 B+42.5"  # lone black stone owns the 7x7 board
    assert r[20] == "=21 "
    assert len(r) == 21  # nothing after quit


@SERVERS
def test_error_answers_for_malformed_input(server):
    script = [
        "frobnicate", "boardsize", "boardsize x", "boardsize 25", "boardsize 4", "komi",
        "komi abc", "play", "play black", "play purple D4", "play black Z99", "play black I5",
        "play black D4 extra", "genmove", "genmove green", "known_command", "7",
        "play black D4", "play white D4", "\tplay\twhite\tE5 ", "1 play black E5",
    ]
    r = _session(script, server=server)
    want = ["? unknown command", "? syntax error", "? syntax error", "? unacceptable size",
            "? unacceptable size", "? syntax error", "? syntax error", "? syntax error",
            "? syntax error", "? invalid color", "? illegal move", "? illegal move",
            "? syntax error", "? syntax error", "? invalid color", "? syntax error",
            "?7 missing command", "= ", "? illegal move", "= ", "?1 illegal move"]
    assert r == want


def test_server_in_process_play_game_and_resign_agent():
    srv = GTPServer(choose_move=lambda e: -1, board_size=5)
    assert srv.handle("genmove b") == "= resign\n\n"
    srv = GTPServer(board_size=5, seed=0)
    moves = 0
    while moves < 200:
        rb = srv.handle("genmove b").strip()
        rw = srv.handle("genmove w").strip()
        moves += 2
        if rb == "= PASS" and rw == "= PASS":
            break
    assert srv.handle("final_score").startswith(("= B+", "= W+"))
    # playing on after two passes is allowed (controller referees)
    assert srv.handle("play b pass") == "= \n\n"


def test_gtp_client_against_our_server():
    with GTPClient(SERVER + ["--board-size", "9"], timeout=30) as c:
        assert c.protocol_version == "2"
        c.boardsize(9)
        c.clear_board()
        c.komi(7.5)
        c.play("b", "E5")
        with pytest.raises(GTPCommandError, match="illegal move"):
            c.play("w", "E5")
        mv = c.genmove("w")
        assert mv == "PASS" or mv[0] in "ABCDEFGHJ"
        assert parse_score(c.final_score()) != 0
        assert "E" in c.send("showboard")


def _fake(body):
    return [sys.executable, "-c", textwrap.dedent(body)]


FAKE_HEAD = """
import sys, time
for line in sys.stdin:
    parts = line.split()
    cid, cmd = (parts[0], parts[1]) if parts[0].isdigit() else ("", parts[0])
"""


def test_client_timeout_on_slow_engine():
    c = GTPClient(_fake(FAKE_HEAD + """
    if cmd == "genmove":
        time.sleep(30)
    print("print noise before the answer"); print(f"={cid} ok\\n", flush=True)
"""), timeout=1.0)
    assert c.send("name") == "ok"  # stray lines are skipped
    with pytest.raises(GTPTimeout, match="did not answer 'genmove b'"):
        c.send("genmove b")
    with pytest.raises(GTPEngineDied, match="unusable"):
        c.send("name")
    assert c.proc.poll() is not None  # killed


def test_client_engine_crash_and_bad_start():
    c = GTPClient(_fake(FAKE_HEAD + """
    if cmd == "genmove":
        sys.stderr.write("segfault-ish failure\\n"); sys.stderr.flush(); sys.exit(3)
    print(f"={cid} ok\\n", flush=True)
"""), timeout=5.0)
    with pytest.raises(GTPEngineDied, match="exit code 3"):
        c.send("genmove b")
    with pytest.raises(GTPEngineDied):
        GTPClient(["/nonexistent/engine"])
    with pytest.raises(GTPEngineDied):
        GTPClient(_fake("import sys; sys.exit(1)"), timeout=5)
    with pytest.raises(GTPTimeout):  # never speaks GTP
        GTPClient(_fake("import time; time.sleep(30)"), timeout=0.5, startup_timeout=0.5)


def test_parse_score():
    assert parse_score("B+3.5") == 3.5 and parse_score("W+0.5") == -0.5
    assert parse_score("0") == 0
    with pytest.raises(ValueError):
        parse_score("X+1")


def test_agentctl_gtp_plays_the_checkpoints_greedy_move(tmp_path):
    """`agentctl gtp --checkpoint` answers genmove with the policy's most likely legal move."""
    import numpy as np
    import torch
    from agentctl.assemble import load_policy
    from agentctl.envs.go.engine import GoEngine, gtp_to_action
    from agentctl.host import get_host

    run = tmp_path / "go"
    subprocess.run([sys.executable, "-m", "agentctl.cli", "train", "--env", "go", "--steps", "600",
                    "--set", "num_envs=4", "--set", "num_steps=64", "--set", "env_kwargs.board_size=7",
                    "--set", "tensorboard=false", "--run-dir", str(run), "--json"],
                   check=True, capture_output=True, timeout=300)
    lines = ["boardsize 7", "clear_board", "play black D4", "play white C3", "genmove black", "quit"]
    r = _session(lines, "--checkpoint", str(run), "--board-size", "7", server=CLI_SERVER)
    assert r[4].startswith("= ")
    move = gtp_to_action(r[4][2:], 7)

    policy, _, _ = load_policy(str(run), get_host().registry, env_kwargs={"board_size": 7})
    engine = GoEngine(1, 7)
    engine.play(0, gtp_to_action("D4", 7))
    engine.play(0, gtp_to_action("C3", 7))
    with torch.no_grad():
        logits, _ = policy(torch.as_tensor(engine.observations()))
    logits = logits[0].numpy().copy()
    logits[~engine.legal_mask()[0]] = -np.inf
    assert move == int(np.argmax(logits))
