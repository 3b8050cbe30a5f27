"""The ``agentctl`` command line.

Import-light on purpose: ``--help``, ``envs`` and ``plugins`` load plugin modules (which
must stay light) but never torch or env code; commands import heavy modules inside.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click
from agentctl import __version__
from agentctl.errors import Interrupted, UserError
from agentctl.host import get_host


class _Group(click.Group):
    """Turns UserError (and plugin errors) into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except Interrupted as exc:  # a stop signal that ended a command early
            click.echo(exc.message or "aborted", err=True)
            sys.exit(128 + exc.signum)
        except KeyboardInterrupt:
            click.echo("aborted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="agentctl")
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """agentctl: train RL agents with one PPO engine on any env a plugin provides."""
    ctx.obj = {"debug": debug}


def _emit_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data))


# -- listing ----------------------------------------------------------------------------
@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON array for machines.")
def envs(as_json: bool) -> None:
    """List environments: name, kind, owning plugin, description."""
    specs = get_host().registry.all("env")
    rows = [{"name": s.name, "qualified_name": s.qualified_name, "kind": s.kind, "plugin": s.plugin,
             "description": s.description} for s in specs]
    if as_json:
        _emit_json(rows)  # type: ignore[arg-type]
        return
    if not rows:
        click.echo("no environments registered (see `agentctl plugins`)")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        click.echo(f"{r['name']:<{width}}  {r['kind']:<8}  {r['plugin']:<12}  {r['description']}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON array for machines.")
def plugins(as_json: bool) -> None:
    """List plugins with their version, status and what they register."""
    host = get_host()
    rows = [{"name": p.name, "distribution": p.distribution, "version": p.version, "status": p.status,
             "error": p.error, "registered": [f"{c}:{q.split('/', 1)[1]}" for c, q in p.registered]}
            for p in host.plugins]
    if as_json:
        _emit_json(rows)  # type: ignore[arg-type]
        return
    if not rows:
        click.echo("no plugins installed")
    for r in rows:
        head = f"{r['name']}  ({r['distribution']} {r['version']})  {r['status']}"
        click.echo(head)
        if r["error"]:
            click.echo(f"    reason: {r['error']}")
        if r["registered"]:
            click.echo(f"    registers: {', '.join(r['registered'])}")


@cli.command("config")
def config_cmd() -> None:
    """List every PPO config key with its default and meaning."""
    import dataclasses

    from agentctl.config import PPOConfig

    defaults = PPOConfig()
    for f in dataclasses.fields(PPOConfig):
        click.echo(f"{f.name} = {getattr(defaults, f.name)!r}\n    {f.metadata.get('help', '')}")


# -- training ---------------------------------------------------------------------------
@cli.command()
@click.option("--env", "env_name", help="Env name (see `agentctl envs`).")
@click.option("--steps", type=int, help="Total env steps (the run's budget and annealing horizon).")
@click.option("--seed", type=int, help="Random seed.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Where to train.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config file.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a config key (repeatable).")
@click.option("--run-dir", type=click.Path(file_okay=False), help="Run directory (default runs/<env>/<time>).")
@click.option("--resume", type=click.Path(exists=True), help="Checkpoint file or run dir to continue from.")
@click.option("--overwrite", is_flag=True, help="Replace the run already in --run-dir (its checkpoints and metrics).")
@click.option("--init", "init", metavar="CKPT",
              help="Start from these weights (a checkpoint, run dir or `agentctl pretrain` output; 'pretrained' = "
                   "the env's cached warm start). Same as --set init=CKPT.")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Who steps the envs: this process, or Ray rollout workers (pip install 'agentctl[ray]').")
@click.option("--num-workers", type=click.IntRange(min=1),
              help="--backend ray: rollout workers (default 2), each with num_envs / N of the envs.")
@click.option("--ray-address", metavar="ADDR", help="--backend ray: join this Ray cluster (default: start a local Ray).")
@click.option("--nproc", type=click.IntRange(min=1), default=1, show_default=True,
              help="Data-parallel learner processes (torchrun): each collects its own rollouts, gradients are "
                   "all-reduced, rank 0 writes the run.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary as the last line.")
def train(env_name: str | None, steps: int | None, seed: int | None, device: str | None,
          config_path: str | None, sets: tuple[str, ...], run_dir: str | None, resume: str | None,
          overwrite: bool, init: str | None, backend: str, num_workers: int | None, ray_address: str | None,
          nproc: int, as_json: bool) -> None:
    """Train an agent with PPO."""
    from agentctl import torchrun
    from agentctl.config import load_toml, parse_set
    from agentctl.run import TrainRequest
    from agentctl.run import train as run_train

    if backend != "ray" and (ray_address or num_workers):
        raise UserError("--num-workers and --ray-address apply to --backend ray")
    if backend == "ray" and (nproc > 1 or torchrun.launched()):
        raise UserError("--backend ray and --nproc (torchrun) do not combine: scale collecting with Ray "
                        "workers or the learner with processes, not both")
    workers = None
    if backend == "ray":
        from agentctl.ray_rollout import RayOptions, import_ray

        import_ray()  # one line on how to install it, before anything else happens
        workers = RayOptions(num_workers or 2, ray_address)

    overrides = parse_set(sets)
    for key, value in (("total_timesteps", steps), ("seed", seed), ("device", device), ("init", init)):
        if value is not None:
            overrides[key] = value
    req = TrainRequest(env=env_name, overrides=overrides,
                       config_file=load_toml(config_path) if config_path else None,
                       run_dir=run_dir, resume=resume, quiet=as_json, overwrite=overwrite, workers=workers)
    if nproc > 1:  # checked once here (one line for bad input), then torchrun starts nproc copies of this command
        from agentctl.run import plan

        plan(req, get_host().registry)
        torchrun.launch(nproc, sys.argv[1:])
        return
    if torchrun.launched():  # a rank under torchrun: rank 0 runs the run, the others follow it
        summary = torchrun.train(req, get_host().registry)
        if summary is None:
            return
    else:
        summary = run_train(req, get_host().registry)
    if summary["interrupted"]:
        click.echo(f"interrupted at step {summary['steps']:,}; checkpoint saved: {summary['checkpoint']}\n"
                   f"resume with: agentctl train --resume {summary['run_dir']}", err=True)
    if as_json:
        _emit_json(summary)
    else:
        click.echo(f"trained {summary['steps']:,} steps in {summary['wall_s']:.1f}s "
                   f"({summary['steps_per_s']:,.0f} steps/s); mean return first 10% "
                   f"{_fmt(summary['first_mean_return'])}, last 10% {_fmt(summary['last_mean_return'])}\n"
                   f"run dir: {summary['run_dir']}")
    if summary["interrupted"]:
        sys.exit(128 + summary["signal"])


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


@cli.command()
@click.option("--env", "env_name",
              help="Sequence env whose policy_kwargs and pretrain_corpus to use (e.g. codegen), or with "
                   "--teacher the env whose policy imitates it (e.g. go).")
@click.option("--teacher", metavar="NAME[:ARG]",
              help="Learn from a plugin's teacher's games instead of text (e.g. gnugo:5 for --env go).")
@click.option("--games", type=int, help="--teacher: games to play (continued from --data) and train on.")
@click.option("--workers", type=int, default=2, show_default=True, help="--teacher: games played at once.")
@click.option("--data", "data_path", type=click.Path(dir_okay=False),
              help="--teacher: the games file, JSON lines (default: teacher_games.jsonl next to --out); "
                   "a rerun continues it.")
@click.option("--epochs", type=int, help="--teacher: passes over the games (default 10 without --time-limit).")
@click.option("--time-limit", "time_limit", type=float, metavar="SECONDS",
              help="--teacher: stop training after this long (the best epoch so far is kept).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="--teacher: TOML config, as for train (the same net that train --config builds).")
@click.option("--corpus", "corpus_path", type=click.Path(),
              help="UTF-8 text file (default: the env's pretrain_corpus, the standard library's docstrings or code).")
@click.option("--steps", type=click.IntRange(min=1), help="Optimizer steps (default: the warm start's recipe).")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Checkpoint to write (default: the env's cached warm start; pretrained.pt with "
                   "--corpus/--steps/--seed).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Model size: policy_kwargs.KEY=VALUE (repeatable; with --teacher any config key, as for train).")
@click.option("--seed", type=int, help="Random seed.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary as the last line.")
def pretrain(env_name: str | None, teacher: str | None, games: int | None, workers: int, data_path: str | None,
             epochs: int | None, time_limit: float | None, config_path: str | None, corpus_path: str | None,
             steps: int | None, out: str | None, sets: tuple[str, ...], seed: int | None, device: str,
             as_json: bool) -> None:
    """Warm-start a policy: next-token training of the built-in GPT on a corpus, or (--teacher)
    imitation of a teacher's games."""
    if teacher is not None:
        _pretrain_teacher(env_name, teacher, games, workers, data_path, epochs, time_limit, config_path,
                          corpus_path, steps, out, sets, seed, device, as_json)
        return
    given = [flag for flag, value in (("--games", games), ("--data", data_path), ("--epochs", epochs),
                                      ("--time-limit", time_limit), ("--config", config_path)) if value is not None]
    if given:
        raise UserError(f"{', '.join(given)} applies to --teacher pretraining (e.g. --env go --teacher gnugo:5)")
    from agentctl.pretrain import pretrain_command

    summary = pretrain_command(get_host().registry, env_name, sets, corpus_path, steps, seed, out, device,
                               quiet=as_json)
    if summary["interrupted"]:
        click.echo(f"interrupted at step {summary['steps']:,}; the checkpoint holds what was trained", err=True)
    if as_json:
        _emit_json(summary)
    else:
        done = "already cached" if summary["cached"] else f"trained {summary['steps']:,} steps"
        click.echo(f"{done}: loss {summary['loss']:.3f} nats/token on {summary['corpus']}\n"
                   f"checkpoint: {summary['checkpoint']}\n"
                   + ("the env's default (init = \"pretrained\") starts from it"
                      if summary["default"] else
                      f"use it: agentctl train --env {env_name or 'textgen'} --init {summary['checkpoint']}"))
    if summary["interrupted"]:
        sys.exit(128 + summary["signal"])


def _pretrain_teacher(env_name: str | None, teacher: str, games: int | None, workers: int, data_path: str | None,
                      epochs: int | None, time_limit: float | None, config_path: str | None,
                      corpus_path: str | None, steps: int | None, out: str | None, sets: tuple[str, ...],
                      seed: int | None, device: str, as_json: bool) -> None:
    """``pretrain --teacher``: imitation of a plugin's teacher (see :mod:`agentctl.imitation`)."""
    from agentctl.config import load_toml
    from agentctl.imitation import teacher_command

    text_only = [flag for flag, value in (("--corpus", corpus_path), ("--steps", steps)) if value is not None]
    if text_only:
        raise UserError(f"{', '.join(text_only)} applies to text pretraining, not --teacher (use --epochs "
                        "or --time-limit)")
    summary = teacher_command(get_host().registry, env=env_name, teacher=teacher, games=games, workers=workers,
                              data_path=data_path, epochs=epochs, time_limit_s=time_limit,
                              config_file=load_toml(config_path) if config_path else None, sets=sets, seed=seed,
                              out=out, device=device, quiet=as_json)
    if as_json:
        _emit_json({k: v for k, v in summary.items() if k != "history"})
    else:
        best = summary["best"]
        click.echo(f"imitated {summary['teacher']} on {summary['games']:,} games ({summary['positions']:,} positions): "
                   f"{summary['epochs']:.2f} epochs in {summary['wall_s']:.0f}s "
                   f"({summary['seconds_per_epoch']:.0f} s/epoch); best validation move accuracy "
                   f"{best.get('accuracy', float('nan')):.3f}, value mse {best.get('value_mse', float('nan')):.3f}\n"
                   f"checkpoint: {summary['checkpoint']}\n"
                   f"use it: agentctl train --env {summary['env']} --init {summary['checkpoint']}")
    if summary["interrupted"]:
        click.echo("interrupted; the checkpoint holds the best epoch validated so far", err=True)
        sys.exit(128 + summary["signal"])


@cli.command()
@click.option("--env", "env_name", help="Env name (see `agentctl envs`); a resumed study keeps its own.")
@click.option("--trials", type=int, default=20, show_default=True,
              help="Finished trials (complete or pruned) the study should hold; a resumed study's count.")
@click.option("--space", "space_path", type=click.Path(dir_okay=False),
              help="Search space TOML (default: the env's): key = [choices] or {low, high[, log, step]}.")
@click.option("--steps-per-trial", type=int, help="Env steps each trial trains (default: the env's total_timesteps).")
@click.option("--run-dir", type=click.Path(file_okay=False),
              help="Tune run dir: study.db, trials/NNNN/, best.toml (default runs/<env>/tune-<time>).")
@click.option("--storage", help="Optuna storage URL (default sqlite:///RUN_DIR/study.db); processes on one share a study.")
@click.option("--study", "study_name", help="Study name (default: the env's name).")
@click.option("--jobs", type=int, default=1, show_default=True, help="Trials at once (one process each).")
@click.option("--seed", type=int, help="Sampler seed (default 0; a resumed study: its own).")
@click.option("--sampler", type=click.Choice(["tpe", "random", "grid"]),
              help="How trials are drawn (default tpe; a resumed study: its own).")
@click.option("--pruner", type=click.Choice(["median", "hyperband", "none"]),
              help="Stop trials whose running score trails: the mean return of the last 20 episodes, or a game's "
                   "eval_win_rate (default median; a resumed study: its own).")
@click.option("--eval-episodes", type=int,
              help="Episodes (games) of each trial's final evaluation, its score (default 20; games: eval_games).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config file under every trial.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Fix a config key in every trial (repeatable).")
@click.option("--resume", is_flag=True, help="Continue the study in --run-dir (or --storage): finished trials count.")
@click.option("--report", "report_target", metavar="STUDY_OR_DIR",
              help="Print the table of a study (a tune run dir, or a study name with --storage) and write its plots.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary as the last line.")
@click.option("--worker", hidden=True)
def tune(env_name: str | None, trials: int, space_path: str | None, steps_per_trial: int | None, run_dir: str | None,
         storage: str | None, study_name: str | None, jobs: int, seed: int | None, sampler: str | None,
         pruner: str | None,
         eval_episodes: int | None, config_path: str | None, sets: tuple[str, ...], resume: bool,
         report_target: str | None, as_json: bool, worker: str | None) -> None:
    """Search PPO hyperparameters with Optuna (needs agentctl[tune]); writes the best config as TOML."""
    from agentctl.tune import import_optuna

    import_optuna()  # without optuna: one line saying how to install it
    from agentctl.config import load_toml, parse_set
    from agentctl.tune import TuneRequest
    from agentctl.tune import report as tune_report
    from agentctl.tune import tune as run_tune
    from agentctl.tune import worker as tune_worker
    from agentctl.tune_space import load_space

    if worker:
        tune_worker(json.loads(worker), get_host().registry)
        return
    if report_target:
        for line in tune_report(report_target, storage, study_name, run_dir):
            click.echo(line)
        return
    req = TuneRequest(env=env_name, trials=trials, space=load_space(space_path) if space_path else None,
                      steps_per_trial=steps_per_trial, run_dir=run_dir, storage=storage, study=study_name, jobs=jobs,
                      seed=seed, sampler=sampler, pruner=pruner, overrides=parse_set(sets),
                      config_file=load_toml(config_path) if config_path else None, resume=resume,
                      eval_episodes=eval_episodes)
    summary = run_tune(req, get_host().registry)
    if as_json:
        _emit_json(summary)
        return
    click.echo(f"{summary['complete']} complete, {summary['pruned']} pruned, {summary['failed']} failed trials; "
               f"pruning saved {summary['steps_saved_by_pruning']:,} steps (~{summary['wall_saved_by_pruning_s']:.0f}s)")
    if summary["best_config"]:
        click.echo(f"best: trial {summary['best_trial']}, {summary['score']} {summary['best_score']:.4g}, "
                   f"{json.dumps(summary['best_params'])}\nconfig: {summary['best_config']}\n"
                   f"use it: agentctl train --env {summary['env'].split('/')[-1]} --config {summary['best_config']}")


@cli.command("eval")
@click.option("--checkpoint", "path", required=True, type=click.Path(exists=True),
              help="Checkpoint file or run dir (its latest checkpoint).")
@click.option("--episodes", "--games", "episodes", type=int, default=10, show_default=True,
              help="Episodes (games, for multi-agent envs; colours alternate).")
@click.option("--opponent", help="Multi-agent envs: random, snapshot:PATH or a plugin opponent (name[:arg]).")
@click.option("--stochastic/--deterministic", default=None,
              help="Sample actions, or take the most likely one (default: the run's eval_deterministic, "
                   "true unless its env says otherwise).")
@click.option("--seed", type=int, help="Env seed (default: the run's seed + 10000).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--playouts", type=click.IntRange(min=0), default=None,
              help="Two-player games: pick moves by a tree search of N playouts guided by the net (0 = plain "
                   "policy; default: the run's eval_playouts, 0 unless its config says).")
@click.option("--split", help="Sequence envs: the task's prompt set (codegen: train, heldout, humaneval).")
@click.option("--k", "ks", metavar="K[,K...]", help="Sequence envs: report pass@k (e.g. 1,10) over every prompt.")
@click.option("--samples", type=click.IntRange(min=1), help="Completions per prompt for pass@k (default: max k).")
@click.option("--temperature", type=click.FloatRange(min=0, min_open=True),
              help="Sequence envs: sampling temperature (default: the run's).")
@click.option("--record", type=click.Path(dir_okay=True), metavar="PATH",
              help="Two-player games: save the first game as a replay: an animated GIF if PATH ends in .gif, "
                   "else a new folder of PNG frames.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary as the last line.")
def eval_cmd(path: str, episodes: int, opponent: str | None, stochastic: bool | None, seed: int | None, device: str,
             playouts: int | None, split: str | None, ks: str | None, samples: int | None, temperature: float | None,
             record: str | None, as_json: bool) -> None:
    """Evaluate a checkpoint: mean return +- std over N episodes (win rates for games)."""
    from agentctl.config import check_value

    if seed is not None:
        check_value("seed", seed, "--seed")  # the same range as training's seed
    from agentctl.evaluate import evaluate
    from agentctl.passk import parse_ks

    result = evaluate(path, get_host().registry, episodes=episodes, deterministic=None if stochastic is None else not stochastic,
                      seed=seed, device=device, opponent=opponent, playouts=playouts, split=split,
                      ks=parse_ks(ks) if ks is not None else None, samples=samples, temperature=temperature,
                      record=record)
    if record is not None and not as_json:
        click.echo(f"replay of the first game ({result['record_frames']} frames): {result['record']}")
    if as_json:
        _emit_json(result)
    elif "samples_per_problem" in result:
        rates = ", ".join(f"{key} {value:.3f}" for key, value in result.items() if key.startswith("pass@"))
        click.echo(f"{result['env']} {result['split'] or ''}: {rates} over {result['problems']} problems "
                   f"({result['samples_per_problem']} samples each, temperature {result['temperature']}); "
                   f"mean score {result['mean_score']:.3f}")
    elif "win_rate" in result:
        low, high = result["win_rate_ci95"]
        click.echo(f"{result['env']} vs {result['opponent']}: win {result['win_rate']:.3f} "
                   f"(95% CI {low:.3f}-{high:.3f}), draw {result['draw_rate']:.3f}, loss {result['loss_rate']:.3f} "
                   f"over {result['games']} games"
                   + (f", {result['playouts']} playouts, {result['seconds_per_move']:.3f} s/move"
                      if result.get("playouts") else ""))
    else:
        click.echo(f"{result['env']}: mean return {result['mean_return']:.2f} +- {result['std_return']:.2f} "
                   f"over {result['episodes']} episodes")


@cli.command()
@click.option("--checkpoint", "path", required=True, type=click.Path(exists=True),
              help="A sequence env's checkpoint, run dir or `agentctl pretrain` output.")
@click.option("--prompt", "prompts", multiple=True, help="Prompt to complete (repeatable; default: the env's).")
@click.option("-n", "count", type=click.IntRange(min=1), default=1, show_default=True, help="Completions per prompt.")
@click.option("--temperature", type=float, help="Sampling temperature (default: the run's).")
@click.option("--max-tokens", type=click.IntRange(min=1), help="New tokens at most (default: the run's num_steps).")
@click.option("--greedy", is_flag=True, help="Take the most likely token each step instead of sampling.")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed (same seed, same text).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per completion.")
def sample(path: str, prompts: tuple[str, ...], count: int, temperature: float | None, max_tokens: int | None,
           greedy: bool, seed: int, as_json: bool) -> None:
    """Print completions from a language-model checkpoint (with their reward when it has one)."""
    from agentctl.config import check_value
    from agentctl.sampling import sample_completions

    check_value("seed", seed, "--seed")
    if temperature is not None:
        check_value("temperature", temperature, "--temperature")
    rows = sample_completions(path, get_host().registry, list(prompts), count=count, temperature=temperature,
                              max_tokens=max_tokens, greedy=greedy, seed=seed)
    for r in rows:
        if as_json:
            _emit_json(r)
        else:
            score = "" if r.get("score") is None else f"[{r['score']:+.3f}] "
            click.echo(f"{score}{r['prompt']}|{r['completion']}")


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True}, add_help_option=False)
@click.option("--env", "env_name", default="go", show_default=True,
              help="The env to play; each env's player has its own options: agentctl play --env NAME --help.")
@click.pass_context
def play(ctx: click.Context, env_name: str) -> None:
    """Play or watch a game in the terminal (the options after --env are the env's player's)."""
    from click.core import ParameterSource

    args = list(ctx.args)
    if ctx.get_parameter_source("env_name") == ParameterSource.DEFAULT and {"-h", "--help"} & set(args):
        playable = sorted({p.name for p in get_host().registry.all("player")})
        click.echo(ctx.get_help() + f"\n\nEnvs with a player: {', '.join(playable) or 'none'}. "
                   "Their options: agentctl play --env NAME --help")
        return
    registry = get_host().registry
    player = registry.player(registry.resolve("env", env_name))
    command = player.load()
    if not isinstance(command, click.Command):
        raise UserError(f"the player of env {env_name!r} (plugin {player.plugin!r}) is not a click command: "
                        f"{type(command).__name__}")
    with command.make_context(f"--env {env_name}", args, parent=ctx) as sub:
        command.invoke(sub)


@cli.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--games-per-pair", type=click.IntRange(2), default=10, show_default=True)
@click.option("--players", type=click.IntRange(2), default=8, show_default=True,
              help="Snapshots ranked (evenly spaced over the run, newest included).")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
def ladder(run: str, games_per_pair: int, players: int, as_json: bool) -> None:
    """Elo table of a self-play run's snapshots (round-robin games)."""
    from agentctl.ladder import ladder as run_ladder

    rows = run_ladder(run, get_host().registry, games_per_pair, players)
    if as_json:
        _emit_json(rows)  # type: ignore[arg-type]
        return
    click.echo(f"{'step':>12}  {'elo':>7}  {'games':>5}  {'score':>5}")
    for r in rows:
        click.echo(f"{r['step'] if r['step'] is not None else '-':>12}  {r['elo']:>7.1f}  {r['games']:>5}  {r['score']:>5.2f}")


@cli.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", default="curves.png", show_default=True, help="PNG file to write.")
@click.option("--metric", "metrics", multiple=True, default=["mean_return"], show_default=True,
              help="metrics.jsonl key to plot (repeat for one panel each, e.g. --metric mean_return --metric mean_kl).")
@click.option("--x", "x_axis", type=click.Choice(["steps", "wall", "both"]), default="steps", show_default=True,
              help="x axis: env steps, wall-clock minutes (resumes continue the clock), or both side by side.")
def plot(runs: tuple[str, ...], output: str, metrics: tuple[str, ...], x_axis: str) -> None:
    """Plot learning curves from runs' metrics.jsonl as a PNG."""
    from agentctl.plot import plot_runs

    click.echo(f"wrote {plot_runs(list(runs), output, list(metrics), x_axis)}")


# -- plugin authoring ---------------------------------------------------------------------
@cli.command("new-plugin")
@click.argument("name")
@click.option("--kind", type=click.Choice(["single", "multi", "simultaneous", "sequence"]), default="single", show_default=True,
              help="single: Gymnasium env; multi: two-player turn-based game (self-play); simultaneous: two-player game, both seats act at once (self-play); sequence: text task (prompts + a reward), token-level PPO.")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Folder to create (default ./NAME).")
def new_plugin(name: str, kind: str, directory: str | None) -> None:
    """Scaffold a plugin package registering an env named NAME."""
    from agentctl.scaffold import scaffold

    path = scaffold(name, kind, directory)
    click.echo(f"created {path} (plugin {name!r}, kind {kind})\n"
               f"next: pip install -e {path} && agentctl check-plugin {name} && python -m pytest {path}")


@cli.command("check-plugin")
@click.argument("name")
@click.option("--steps", type=click.IntRange(min=0), default=300, show_default=True,
              help="Training smoke-test steps (0 skips it).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def check_plugin_cmd(ctx: click.Context, name: str, steps: int, as_json: bool) -> None:
    """Validate an installed plugin (by entry-point name): specs, env API tests, policy, training."""
    from agentctl.testing import check_plugin

    report = check_plugin(name, smoke_steps=steps)
    if as_json:
        _emit_json(report.to_dict())
    else:
        click.echo(report.format(traces=bool(ctx.obj and ctx.obj.get("debug"))))
    if not report.ok:
        sys.exit(1)


# -- sandbox ----------------------------------------------------------------------------
@cli.group(cls=_Group)
def sandbox() -> None:
    """Run untrusted Python in the code sandbox (what the codegen reward uses)."""


@sandbox.command("run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--tests", "tests_path", type=click.Path(exists=True, dir_okay=False),
              help="Tests file: each top-level assert/expression is one test, the rest is setup.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="Wall-clock seconds before the whole process tree is killed.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object (the last line).")
def sandbox_run(file: str, tests_path: str | None, timeout: float, as_json: bool) -> None:
    """Run FILE (and its tests) in the sandbox; exit 0 when the status is ok, 1 otherwise."""
    from agentctl.sandbox import Sandbox, SandboxConfig
    from agentctl.sandbox.report import format_result, read_source

    source = read_source(file)
    tests = read_source(tests_path) if tests_path else None
    config = SandboxConfig(timeout_s=timeout, cpu_s=max(1, int(timeout) + 1))
    result = Sandbox(config).run(source, tests)
    if as_json:
        _emit_json(result.to_dict())
    else:
        click.echo(format_result(result))
    if result.status != "ok":
        sys.exit(1)


def main() -> None:
    debug = "--debug" in sys.argv[1:]
    try:
        get_host().add_commands(cli)
    except KeyboardInterrupt:  # Ctrl-C while plugins load: one line, as in a command
        click.echo("aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # the CLI must come up even when plugins misbehave
        if debug or os.environ.get("AGENTCTL_STRICT_PLUGINS", "") not in ("", "0"):
            raise  # strict mode (a plugin's own CI): a broken plugin must fail loudly
        click.echo(f"agentctl: plugin commands unavailable: {exc}", err=True)
    cli(prog_name="agentctl")


if __name__ == "__main__":
    main()
