"""`agentctl play --env NAME` (a player per env), the RTS terminal player, and replays from
`agentctl eval --record` (GIF / PNG frames of the first game)."""

from __future__ import annotations

import re
import types

import numpy as np
import pytest
from agentctl.errors import UserError
from click.testing import CliRunner
from gymnasium import spaces

rts = pytest.importorskip("agentctl.envs.rts")

TINY_RTS = ["train", "--env", "rts", "--steps", "32", "--set", "num_envs=2", "--set", "num_steps=16",
            "--set", "minibatch_size=32", "--set", "update_epochs=1", "--set", "tensorboard=false"]


def _invoke(args: list[str], input: str | None = None):
    from agentctl.cli import cli

    return CliRunner().invoke(cli, args, input=input, prog_name="agentctl")


@pytest.fixture(scope="module")
def rts_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("rts") / "run"
    res = _invoke([*TINY_RTS, "--run-dir", str(run)])
    assert res.exit_code == 0, res.output
    return run


# -- dispatch --------------------------------------------------------------------------------
@pytest.mark.parametrize(("env", "fragment"), [
    ("nope", "error: unknown env 'nope'"),
    ("cartpole", "error: env 'cartpole' has no player; envs with one: go, rts"),
])
def test_play_refuses_an_env_without_a_player_in_one_line(env, fragment):
    res = _invoke(["play", "--env", env])
    assert res.exit_code == 2
    assert res.stderr.strip() == fragment or res.stderr.strip().startswith(fragment), res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.output


def test_play_help_lists_players_and_each_env_has_its_own_options():
    top = _invoke(["play", "--help"])
    assert top.exit_code == 0 and "Envs with a player: go, rts" in top.output
    go = _invoke(["play", "--env", "go", "--help"])
    assert "Usage: agentctl play --env go" in go.output and "--board-size" in go.output
    assert "--opponent" not in go.output
    rts_help = _invoke(["play", "--env", "rts", "--help"])
    assert "Usage: agentctl play --env rts" in rts_help.output
    assert "--opponent" in rts_help.output and "--board-size" not in rts_help.output
    bad = _invoke(["play", "--env", "rts", "--board-size", "5"])  # go's option is not rts's
    assert bad.exit_code == 2 and "No such option '--board-size'" in bad.output


def test_go_player_is_the_default_env_as_before():
    res = _invoke(["play", "--board-size", "5"], input="C3\nquit\n")
    assert res.exit_code == 0, res.output
    assert "A B C D E" in res.output and "(X)" in res.output  # our C3, drawn as the last move


def test_players_resolve_by_env_preferring_the_envs_own_plugin(host):
    import agentctl
    import click

    def plugin(name, env, players):
        m = types.ModuleType(name)

        @agentctl.hookimpl
        def register_envs(register):
            if env:
                register(env, "a.b:c", kind="multi")

        @agentctl.hookimpl
        def register_players(register):
            for target in players:
                register(target, f"{name}:cmd")

        m.register_envs, m.register_players, m.cmd = register_envs, register_players, click.Command("x")
        return m

    host.add_module(plugin("pa", "board", ["board"]), "pa")
    host.add_module(plugin("pb", None, ["board", "other"]), "pb")
    host.add_module(plugin("pc", "lonely", []), "pc")
    registry = host.registry
    assert registry.player(registry.resolve("env", "board")).qualified_name == "pa/board"
    with pytest.raises(UserError, match="env 'lonely' has no player; envs with one: board, other$"):
        registry.player(registry.resolve("env", "lonely"))


# -- the RTS player ----------------------------------------------------------------------------
@pytest.mark.parametrize("frame_skip", [1, 3])
def test_rts_watch_bot_vs_bot_plays_the_training_game(frame_skip):
    """The terminal loop asks bots only at decision points (then waits frame_skip - 1 ticks); the
    game must be the one RtsGames (what training and eval play) gives the same bots."""
    from agentctl.envs.rts.bots import PassiveBot, WorkerRushBot
    from agentctl.envs.rts.games import RtsGames
    from agentctl.envs.rts.terminal import play_terminal

    rts_map = rts.load_map("8x8_basesworkers")
    lines: list[str] = []
    b0, b1 = WorkerRushBot(seed=1), PassiveBot(seed=0)
    result = play_terminal(rts_map, (lambda o, m: b0.act(o, m), lambda o, m: b1.act(o, m)),
                           ("workerrush", "passive"), output=lines.append, frame_skip=frame_skip)
    games, c0, c1 = RtsGames(1, map=rts_map, frame_skip=frame_skip), WorkerRushBot(seed=1), PassiveBot(seed=0)
    games.reset()
    while not games.done()[0]:
        (o0, m0), (o1, m1) = games.observe(0), games.observe(1)
        games.step(c0.act(o0, m0), c1.act(o1, m1), np.ones(1, dtype=bool))
    assert (result.ticks, result.winner) == (int(games.state.tick[0]), int(games.state.winner[0]))
    assert result.winner == 0 and 0 < result.ticks < 2000
    assert lines[-1] == f"game over at tick {result.ticks}: blue (workerrush) wins"


def test_rts_watch_checkpoint_vs_bot_cli(rts_run):
    res = _invoke(["play", "--env", "rts", "--checkpoint", str(rts_run), "--opponent", "passive",
                   "--speed", "0", "--max-ticks", "40"])
    assert res.exit_code == 0, res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("game over at tick 40: draw")  # passive never attacks; nobody wins in 40 ticks
    assert f"blue (upper case, checkpoint {rts_run})" in res.output
    assert "red (lower case, passive): 5 resources; 1 base, 1 worker" in res.output
    first_grid = res.output.split("\n 1 ", 1)[1].splitlines()[0]
    assert first_grid == "RW......"  # the map's first row


def test_rts_human_orders_scripted_stdin():
    # tick 0: two bad orders, a move, end of turn; tick 1: the base could still act, nothing
    # ordered; the next question comes when the position changes (tick 10): quit
    script = "zz\nb2 move n\nb1 move e\n\n\nq\n"
    res = _invoke(["play", "--env", "rts", "--human", "--opponent", "passive", "--speed", "0"], input=script)
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Traceback" not in out
    lines = out.splitlines()
    bad = [ln for ln in lines if "cannot read 'zz'" in ln]
    illegal = [ln for ln in lines if "illegal: b2 cannot move n now" in ln]
    assert len(bad) == 1 and len(illegal) == 1
    assert "b2 can: produce worker e/s/w" in illegal[0]  # what the base may do instead
    rows = [ln[3:] for ln in lines if ln.startswith(" 1 ")]
    assert rows[0] == "RW......" and "R.W....." in rows  # the worker at b1 walked east to c1
    assert re.search(r"> game left at tick \d+ \(quit\)$", lines[-1])  # after the prompt, on its line


def test_parse_order_encodes_the_layout():
    from agentctl.envs.rts.terminal import parse_order

    state = rts.new_games(rts.parse_map("size 4 3\nstart 10\nW.b.\n....\n..w.\n"), 1)
    mask = rts.action_masks(state, 0)[0]
    y, x, action = parse_order("a1 move e", mask)
    assert (y, x) == (0, 0) and action.tolist() == [1, 1, 0, 0, 0, 0, 0]
    y, x, action = parse_order("a1 produce base s", mask)
    assert action.tolist() == [4, 0, 0, 0, 2, 1, 0]  # type 4 produce, direction 2 south, unit 1 base
    state.kind[0, 1, 0], state.owner[0, 1, 0], state.hp[0, 1, 0] = rts.WORKER, 1, 1  # an enemy below a1
    mask = rts.action_masks(state, 0)[0]
    _, _, action = parse_order("a1 attack a2", mask)
    assert action[0] == 5 and action[6] == (1 + 3) * 7 + (0 + 3)  # dy = 1, dx = 0 in the 7x7 window
    with pytest.raises(ValueError, match="illegal: a1 cannot attack c3 now"):
        parse_order("a1 attack c3", mask)
    with pytest.raises(ValueError, match="no idle unit of yours"):
        parse_order("c1 move w", mask)  # the enemy's base


# -- pictures ---------------------------------------------------------------------------------
def test_render_frame_colours_units_walls_and_hit_points():
    from agentctl.envs.rts import render

    state = rts.new_games(rts.parse_map("size 3 2\nB#R\n.w.\n"), 1)
    px = 24
    image = render.render_frame(state, 0, cell_px=px)
    assert image.shape == (2 * px, 3 * px, 3) and image.dtype == np.uint8
    centre = lambda y, x: tuple(int(v) for v in image[y * px + 10, x * px + 12])
    assert centre(0, 0) == render.PLAYER_COLOURS[0]  # player 0's base
    assert centre(1, 1) == render.PLAYER_COLOURS[1]  # player 1's worker
    assert centre(0, 1) == render.WALL and centre(0, 2) == render.RESOURCE_COLOUR
    assert centre(1, 0) == render.BACKGROUND
    bar = image[px - 3, 0:px]  # the base's hit-point bar, full at the start
    full = lambda row: int((row == render.HP_FULL).all(axis=-1).sum())
    assert full(bar) == px - 4
    state.hp[0, 0, 0] = 5  # half of a base's 10
    assert full(render.render_frame(state, 0, cell_px=px)[px - 3, 0:px]) == (px - 4) // 2


class CountingGames:
    """Simultaneous games in which game i ends after ``lengths[i]`` steps; a frame shows the steps."""

    def __init__(self, lengths=(5, 3)):
        self.lengths = np.array(lengths)
        self.num_games = len(lengths)
        self.steps = np.zeros(self.num_games, dtype=np.int64)
        self.observation_space = spaces.Box(0, 10, (1,), np.float32)
        self.action_space = spaces.Discrete(2)

    def reset(self, seed=None):
        self.steps[:] = 0

    def reset_games(self, index):
        self.steps[np.asarray(index)] = 0

    def observe(self, seat):
        return self.steps[:, None].astype(np.float32), np.ones((self.num_games, 2), dtype=bool)

    def step(self, actions0, actions1, active):
        self.steps[np.asarray(active) & ~self.done()] += 1

    def done(self):
        return self.steps >= self.lengths

    def outcome(self):
        return np.zeros(self.num_games, dtype=np.float32)

    def render_frame(self, index):
        return np.full((4, 6, 3), 10 * self.steps[index], dtype=np.uint8)


def _recorded_counting_game():
    from agentctl.games import SimultaneousTurns
    from agentctl.record import GameRecorder

    recorder = GameRecorder(SimultaneousTurns(CountingGames()), "counting")
    recorder.reset()
    for _ in range(40):  # two turns a step; game 0 ends after 5 steps, then restarts
        recorder.step(np.zeros(2, dtype=np.int64), np.ones(2, dtype=bool))
        if recorder.done().any():
            recorder.reset_games(np.flatnonzero(recorder.done()))
    return recorder


def test_recorder_keeps_the_start_and_one_frame_per_step_of_game_0():
    frames = _recorded_counting_game().frames
    assert [int(f[0, 0, 0]) for f in frames] == [0, 10, 20, 30, 40, 50]


def test_record_writes_a_gif_and_png_frames(tmp_path):
    from agentctl.record import PROGRESS_PX, write_frames
    from PIL import Image

    frames = _recorded_counting_game().frames
    gif = write_frames(frames, tmp_path / "game.gif")
    with Image.open(gif) as image:
        assert image.n_frames == len(frames) == 6
        for k in range(image.n_frames):
            image.seek(k)
            rgb = np.asarray(image.convert("RGB"))
            assert rgb.shape == (4 + PROGRESS_PX, 6, 3) and int(rgb[0, 0, 0]) == 10 * k
    folder = write_frames(frames, tmp_path / "frames")
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == [f"frame_{k:04d}.png" for k in range(6)]
    assert int(np.asarray(Image.open(f"{folder}/frame_0003.png"))[0, 0, 0]) == 30
    with pytest.raises(UserError, match="already exists"):
        write_frames(frames, tmp_path / "frames")  # never mixes two games' frames


def test_eval_record_rts_gif_has_one_frame_per_step(rts_run, tmp_path, monkeypatch):
    """Frames = the game-0 steps RtsGames really played (counted at the engine) + the start."""
    from agentctl.envs.rts.games import RtsGames
    from agentctl.envs.rts.render import render_frame
    from agentctl.evaluate import evaluate
    from PIL import Image

    played = []
    real_step = RtsGames.step

    def counting_step(self, actions0, actions1, active):
        if self.num_games > 1 and active[0] and not self.state.done[0] and played[-1:] != ["over"]:
            played.append("step")
        real_step(self, actions0, actions1, active)
        if self.num_games > 1 and self.state.done[0] and played[-1:] == ["step"]:
            played.append("over")

    monkeypatch.setattr(RtsGames, "step", counting_step)
    result = evaluate(str(rts_run), episodes=2, opponent="workerrush", record=str(tmp_path / "game.gif"))
    steps = played.count("step")
    assert "over" in played and result["record_frames"] == steps + 1
    with Image.open(tmp_path / "game.gif") as image:
        assert image.n_frames == steps + 1
        assert image.size == (8 * 24, 8 * 24 + 4)
        first = np.asarray(image.convert("RGB"))[:8 * 24]
    start = rts.new_games(rts.load_map("8x8_basesworkers"), 1)
    assert np.array_equal(first, render_frame(start, 0))


def test_eval_record_errors_are_one_line(rts_run, tmp_path):
    res = _invoke(["eval", "--checkpoint", str(rts_run), "--games", "2", "--opponent", "passive",
                   "--record", str(tmp_path / "missing" / "game.gif")])
    assert res.exit_code == 2 and "folder" in res.stderr and "does not exist" in res.stderr
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    res = _invoke(["eval", "--checkpoint", str(rts_run), "--games", "2", "--record", str(tmp_path / "full")])
    assert res.exit_code == 2 and "already exists" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_recorder_refuses_games_without_render_frame():
    from agentctl.games import SimultaneousTurns
    from agentctl.record import GameRecorder

    games = CountingGames()
    games.render_frame = None
    with pytest.raises(UserError, match="env 'counting' cannot record replays: its games have no render_frame"):
        GameRecorder(SimultaneousTurns(games), "counting")


def test_register_player_protocol_matches_what_the_host_accepts():
    import inspect

    from agentctl import contracts
    from agentctl.registry import Registry

    params = inspect.signature(contracts.RegisterPlayer.__call__).parameters
    keywords = {n: p.default for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keywords == {"description": ""}
    added: list = []
    Registry().registrar("player", "plugin", added)("thing", "pkg.mod:command", **keywords)
    assert added == [("player", "plugin/thing")]
