"""Hyperparameter search (``agentctl tune``): an Optuna study whose trials are training runs.

Each trial draws config values from a search space (:mod:`agentctl.tune_space`), trains for
``steps_per_trial`` env steps in ``D/trials/NNNN/`` and is scored by the final evaluation of
its last checkpoint (``agentctl.evaluate.evaluate``): the mean return over ``eval_episodes``
episodes for single-agent (and sequence) envs, the win rate against the run's
``eval_opponent`` for two-player games. While it trains, a trial reports its running score
(the mean return of its last 20 finished episodes, or the periodic ``eval_win_rate`` of games)
at ``REPORTS`` evenly spaced points of its budget, and the pruner may stop it there.

The study lives in a database (``D/study.db``, SQLite, unless ``--storage URL``), so it
survives a crash: ``--resume`` continues it, keeping finished trials, and marks trials a killed
process left RUNNING as FAIL. What every trial shares (env, space, fixed overrides, budget) is
stored with the study, so a resumed or joining process runs the same experiment.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

from agentctl.config import resolve
from agentctl.errors import Interrupted, UserError, first_line
from agentctl.registry import EnvSpec, Registry
from agentctl.tune_space import Param, decoded, flatten, make_param, parse_space, sample

INSTALL_HINT = "agentctl tune needs optuna: pip install 'agentctl[tune]'"
REPORTS = 20  # intermediate scores per trial: the points at which pruners compare trials
RUNNING_LEFT = "left RUNNING by a process that stopped (resumed study)"
MAX_FAILS_IN_A_ROW = 5
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")


def import_optuna() -> Any:
    """Optuna is an optional extra: without it, one line saying how to install it."""
    try:
        import optuna
    except ImportError:
        raise UserError(INSTALL_HINT) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


@dataclass
class TuneRequest:
    """What ``agentctl tune`` was asked; None means "the stored study's, or the default"."""

    env: str | None = None
    trials: int = 20
    space: dict[str, Any] | None = None  # flat (tune_space.flatten); None: the env's tune_space
    steps_per_trial: int | None = None
    run_dir: str | None = None
    storage: str | None = None
    study: str | None = None
    jobs: int = 1
    seed: int | None = None  # these three: None = the stored study's, or 0, tpe, median
    sampler: str | None = None
    pruner: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)  # --set: fixed in every trial
    config_file: dict[str, Any] | None = None
    resume: bool = False
    eval_episodes: int | None = None
    show: bool = True  # the table of best trials on stderr after each trial


@dataclass
class Settings:
    """What every trial of a study shares; stored in the study (user attr ``agentctl``)."""

    env: str
    space: dict[str, Any]
    config_file: dict[str, Any]
    overrides: dict[str, Any]
    steps_per_trial: int
    eval_episodes: int
    sampler: str
    pruner: str
    seed: int

    def base(self, spec: EnvSpec) -> list[Mapping[str, Any]]:
        """The config layers under a trial's drawn values."""
        return [spec.default_config, self.config_file,
                {**self.overrides, "total_timesteps": self.steps_per_trial}]


# -- storage --------------------------------------------------------------------------------
def open_storage(optuna: Any, url: str) -> Any:
    """Any database URL Optuna accepts; one line when it cannot be opened."""
    try:
        storage = optuna.storages.RDBStorage(url)  # connects and creates its tables now
    except Exception as exc:  # noqa: BLE001 - sqlalchemy's errors, a missing driver module, a bad URL
        raise UserError(f"cannot open the study storage {url}: {first_line(exc)}") from None
    return storage


class TuneLock:
    """``D/.tune.lock``: one ``agentctl tune`` (with its --jobs workers) per run dir, so a
    ``--resume`` never marks a live process's trials as failed."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / ".tune.lock"
        self.fd: int | None = None

    def __enter__(self) -> Self:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserError(f"cannot use run dir {self.path.parent}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise UserError(f"{self.path.parent} is in use by another `agentctl tune`; wait for it, or share "
                            "its study from another run dir with --storage and --study") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)


def _study_name(storage: Any, req: TuneRequest, spec: EnvSpec | None) -> str:
    if req.study:
        return req.study
    names = [s.study_name for s in storage.get_all_studies()]
    if req.resume and len(names) == 1:
        return names[0]
    if req.resume and len(names) > 1:
        raise UserError(f"the storage holds several studies ({', '.join(names)}): pick one with --study")
    if spec is None:
        raise UserError("--env is required (or --resume a study)")
    return spec.name.replace(":", "-")


# -- settings -------------------------------------------------------------------------------
def _new_settings(req: TuneRequest, registry: Registry) -> tuple[Settings, EnvSpec]:
    if not req.env:
        raise UserError("--env is required (or --resume a study); `agentctl envs` lists envs")
    spec = registry.resolve("env", req.env)
    space = req.space if req.space is not None else flatten(spec.tune_space)
    if not space:
        raise UserError(f"env {spec.name!r} ships no default search space; pass --space FILE (a TOML file, e.g. "
                        "learning_rate = {low = 1e-4, high = 3e-3, log = true})")
    overrides = dict(req.overrides)
    config_file = dict(req.config_file or {})
    if "torch_threads" not in overrides and "torch_threads" not in config_file:
        overrides["torch_threads"] = 1  # trials run side by side (--jobs); one thread each is fastest on CPU
    cfg = resolve(spec.default_config, config_file, overrides)
    steps = req.steps_per_trial or cfg.total_timesteps
    if spec.kind == "multi" and cfg.eval_every == 0:  # games report their eval win rate for pruning
        overrides["eval_every"] = max(1, steps // cfg.batch_size // 5)
    episodes = req.eval_episodes or (cfg.eval_games if spec.kind == "multi" else 20)
    return Settings(spec.qualified_name, dict(space), config_file, overrides, steps, episodes,
                    req.sampler or "tpe", req.pruner or "median", req.seed or 0), spec


def _stored_settings(stored: dict[str, Any], req: TuneRequest, registry: Registry, name: str) -> tuple[Settings, EnvSpec]:
    """A study's own settings; a flag that would change what a trial is must agree with them."""
    settings = Settings(**stored)
    spec = registry.resolve("env", settings.env)
    given = {
        "--env": (req.env and registry.resolve("env", req.env).qualified_name, settings.env),
        "--space": (req.space, settings.space),
        "--steps-per-trial": (req.steps_per_trial, settings.steps_per_trial),
        "--config": (req.config_file, settings.config_file),
        "--eval-episodes": (req.eval_episodes, settings.eval_episodes),
    }
    for flag, (asked, kept) in given.items():
        if asked is not None and asked != "" and json.dumps(asked, sort_keys=True) != json.dumps(kept, sort_keys=True):
            raise UserError(f"study {name!r} was started with another {flag} ({_short(kept)}); its trials must be "
                            f"comparable: drop {flag}, or start a new study (--study NAME or a new --run-dir)")
    changed = {k: v for k, v in req.overrides.items() if settings.overrides.get(k) != v}
    if changed:
        raise UserError(f"study {name!r} was started with other fixed values (--set {_short(settings.overrides)}); "
                        f"drop --set {', '.join(changed)}, or start a new study")
    settings.sampler = req.sampler or settings.sampler  # how to search may change; what a trial is may not
    settings.pruner = req.pruner or settings.pruner
    settings.seed = settings.seed if req.seed is None else req.seed
    return settings, spec


def _short(value: Any, width: int = 80) -> str:
    text = json.dumps(value)
    return text if len(text) <= width else text[: width - 3] + "..."


# -- one study ------------------------------------------------------------------------------
def tune(req: TuneRequest, registry: Registry | None = None) -> dict[str, Any]:
    """Create (or continue, or join) the study and run trials until ``req.trials`` have finished
    (complete or pruned); write ``D/best.toml``; return the summary ``--json`` prints."""
    from agentctl.assemble import default_registry

    if req.trials < 1:
        raise UserError(f"--trials must be >= 1, got {req.trials}")
    if req.jobs < 1:
        raise UserError(f"--jobs must be >= 1, got {req.jobs}")
    for flag, value in (("--steps-per-trial", req.steps_per_trial), ("--eval-episodes", req.eval_episodes)):
        if value is not None and value < 1:
            raise UserError(f"{flag} must be >= 1, got {value}")
    for flag, value, allowed in (("--sampler", req.sampler, SAMPLERS), ("--pruner", req.pruner, PRUNERS)):
        if value is not None and value not in allowed:
            raise UserError(f"{flag} must be one of {', '.join(allowed)}, got {value!r}")
    if req.resume and not req.run_dir and not req.storage:
        raise UserError("--resume needs the tune run to continue: --run-dir D (or --storage URL)")
    registry = default_registry(registry)
    optuna = import_optuna()
    run_dir = Path(req.run_dir) if req.run_dir else _new_run_dir(registry, req.env)
    db = run_dir / "study.db"
    if not req.storage:
        if db.exists() and not req.resume:
            raise UserError(f"{run_dir} already holds a study; continue it with --resume, or pick a new --run-dir")
        if req.resume and not db.exists():
            raise UserError(f"nothing to resume: {db} does not exist")
    if req.storage:
        storage = open_storage(optuna, req.storage)  # a bad URL fails before anything is written
    elif not req.resume:  # a new study in a new dir: check it all before writing anything
        _checked_params(*_new_settings(req, registry))
    with TuneLock(run_dir):
        url = req.storage or f"sqlite:///{db.resolve()}"
        if not req.storage:
            storage = open_storage(optuna, url)
        name = _study_name(storage, req, registry.resolve("env", req.env) if req.env else None)
        existing = {s.study_name: s for s in storage.get_all_studies()}
        if name in existing:
            stored = existing[name].user_attrs.get("agentctl")
            if stored is None:
                raise UserError(f"study {name!r} in {url} was not made by agentctl tune; pick another --study")
            settings, spec = _stored_settings(stored, req, registry, name)
        elif req.resume:
            raise UserError(f"nothing to resume: no study {name!r} in {url}")
        else:
            settings, spec = _new_settings(req, registry)
        params = _checked_params(settings, spec)
        study = optuna.create_study(storage=storage, study_name=name, direction="maximize", load_if_exists=True)
        study.set_user_attr("agentctl", asdict(settings))  # --jobs workers read it
        if req.resume:
            _fail_abandoned(study, optuna)
        trials = _trial_budget(settings, params, req.trials, req.show)
        workers = _spawn_workers(req.jobs - 1, url, name, run_dir, trials)
        try:
            work(study, settings, params, spec, run_dir, trials, 0, registry, show=req.show)
        except BaseException:  # stopped or failed: the workers stop too (their trials do not count)
            for proc in workers:
                proc.terminate()
            raise
        finally:
            _wait_workers(workers)
        return finish(study, settings, params, spec, run_dir, url)


def _checked_params(settings: Settings, spec: EnvSpec) -> list[Param]:
    """The space's params, each checked against the config; no key both fixed and searched."""
    params = parse_space(settings.space, settings.base(spec), "search space")
    overlap = sorted(set(settings.overrides) & {p.key for p in params})
    if overlap:
        raise UserError(f"{', '.join(overlap)} is both fixed (--set) and searched (the space); drop one")
    return params


def _new_run_dir(registry: Registry, env: str | None) -> Path:
    import time

    if not env:
        raise UserError("--env is required (or --resume a study with --run-dir)")
    return Path("runs") / registry.resolve("env", env).name.replace(":", "-") / f"tune-{time.strftime('%Y%m%d-%H%M%S')}"


def _fail_abandoned(study: Any, optuna: Any) -> None:
    """Trials a killed process left RUNNING: FAIL, so they neither count nor block the budget."""
    storage = study._storage  # Optuna's public API changes only the trial it is running
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        storage.set_trial_user_attr(t._trial_id, "error", RUNNING_LEFT)
        storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)


def _trial_budget(settings: Settings, params: list[Param], trials: int, show: bool) -> int:
    """The grid sampler runs each grid point once: at most that many trials."""
    if settings.sampler != "grid":
        return trials
    size = math.prod(len(p.grid()) for p in params)
    if trials > size and show:
        print(f"the grid has {size} points: running {size} trials, not {trials}", file=sys.stderr)
    return min(trials, size)


def make_sampler(optuna: Any, settings: Settings, params: list[Param], trials: int, salt: int) -> Any:
    """``salt`` (worker index, trials already run) keeps workers and resumed runs from
    re-drawing the same random points."""
    import numpy as np

    seed = int(np.random.SeedSequence([settings.seed, salt]).generate_state(1)[0])
    if settings.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if settings.sampler == "grid":
        class Grid(optuna.samplers.GridSampler):
            def after_trial(self, *args: Any) -> None:
                """Optuna's calls study.stop() when the grid is done, which only works inside
                study.optimize(); here the trial budget (at most the grid's size) ends the study."""

        return Grid({p.key: p.grid() for p in params}, seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(3, trials // 3)))


def make_pruner(optuna: Any, name: str) -> Any:
    if name == "median":  # no pruning before 5 trials finished, nor in a trial's first quarter
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=REPORTS // 4)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=2, max_resource=REPORTS, reduction_factor=3)
    return optuna.pruners.NopPruner()


# -- the trials -----------------------------------------------------------------------------
class Reporter:
    """The training loop's ``on_update``: report the running score at REPORTS evenly spaced points
    of the budget (so trials with different batch sizes compare at the same fractions) and ask
    the pruner; True stops the run."""

    def __init__(self, trial: Any, kind: str, budget: int) -> None:
        self.trial, self.kind, self.budget = trial, kind, budget
        self.last = 0
        self.pruned_at: int | None = None  # env step where the pruner stopped the trial

    def __call__(self, metrics: dict[str, Any]) -> bool:
        point = min(REPORTS, metrics["global_step"] * REPORTS // self.budget)
        score = metrics.get("eval_win_rate") if self.kind == "multi" else metrics.get("recent_mean_return")
        if point <= self.last or score is None:
            return False
        self.last = point
        self.trial.report(float(score), point)
        if point < REPORTS and self.trial.should_prune():
            self.pruned_at = metrics["global_step"]
            return True
        return False


def run_trial(trial: Any, optuna: Any, settings: Settings, params: list[Param], spec: EnvSpec, run_dir: Path,
              registry: Registry) -> float:
    """Train one trial's config; its score is the final evaluation of the last checkpoint."""
    from agentctl.evaluate import evaluate
    from agentctl.run import TrainRequest, train

    values = sample(params, trial)
    trial_dir = run_dir / "trials" / f"{trial.number:04d}"
    trial.set_user_attr("run_dir", str(trial_dir))
    trial.set_user_attr("pid", os.getpid())  # which --jobs process ran it
    reporter = Reporter(trial, spec.kind, settings.steps_per_trial)
    layers = settings.base(spec)
    summary = train(TrainRequest(env=settings.env, config_file={**layers[1]}, overrides={**layers[2], **values},
                                 run_dir=str(trial_dir), quiet=True, overwrite=True, on_update=reporter), registry)
    trial.set_user_attr("steps", summary["steps"])
    trial.set_user_attr("wall_s", summary["wall_s"])
    if summary["interrupted"]:
        raise Interrupted(summary["signal"], "")
    if reporter.pruned_at is not None:
        raise optuna.TrialPruned(f"pruned at step {reporter.pruned_at}")
    cfg = resolve(*layers, values)
    result = evaluate(summary["checkpoint"], registry, episodes=settings.eval_episodes,
                      opponent=cfg.eval_opponent if spec.kind == "multi" else None)
    score = result["win_rate"] if spec.kind == "multi" else result["mean_return"]
    trial.set_user_attr("eval", {k: v for k, v in result.items() if isinstance(v, (int, float, str))})
    return float(score)


def work(study: Any, settings: Settings, params: list[Param], spec: EnvSpec, run_dir: Path, trials: int,
         index: int, registry: Registry, show: bool = True, parent: int | None = None) -> None:
    """Run trials until ``trials`` of the study have finished or are running (other processes
    sharing the storage count too). ``parent``: a --jobs worker stops when its parent is gone."""
    import optuna

    done_states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED,
                   optuna.trial.TrialState.RUNNING)
    fails = 0
    study.sampler = make_sampler(optuna, settings, params, trials, index * 100_003 + len(study.trials))
    study.pruner = make_pruner(optuna, settings.pruner)
    while len(study.get_trials(deepcopy=False, states=done_states)) < trials:
        if parent is not None and os.getppid() != parent:
            return
        trial = study.ask()
        earlier = [t for t in study.get_trials(deepcopy=False, states=done_states) if t.number < trial.number]
        if len(earlier) >= trials:  # another process took the last slot meanwhile
            trial.set_user_attr("error", "not run: the study already had its trials")
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            return
        try:
            value = run_trial(trial, optuna, settings, params, spec, run_dir, registry)
        except optuna.TrialPruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            fails = 0
        except UserError as exc:  # this config failed (diverged, refused): the study goes on
            trial.set_user_attr("error", str(exc))
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            fails += 1
            if show:
                print(f"trial {trial.number} failed: {exc}", file=sys.stderr)
            if fails >= MAX_FAILS_IN_A_ROW:
                raise UserError(f"{fails} trials in a row failed; the last: {exc}") from None
        except BaseException as exc:  # Ctrl-C, a stop signal: the trial does not count
            trial.set_user_attr("error", f"stopped: {type(exc).__name__}")
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            if isinstance(exc, Interrupted | KeyboardInterrupt):
                signum = getattr(exc, "signum", 2)
                raise Interrupted(signum, f"stopped; the study keeps its finished trials: continue with "
                                          f"agentctl tune --resume --run-dir {run_dir}") from None
            raise
        else:
            study.tell(trial, value)
            fails = 0
        if show:
            print_table(study, params)


# -- --jobs: worker processes sharing the storage -------------------------------------------
def _spawn_workers(count: int, url: str, name: str, run_dir: Path, trials: int) -> list[subprocess.Popen]:
    """Separate processes (torch is not fork-safe once threads started), one torch thread each."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    procs = []
    for index in range(1, count + 1):
        job = json.dumps({"storage": url, "study": name, "run_dir": str(run_dir), "trials": trials,
                          "index": index, "parent": os.getpid()})
        procs.append(subprocess.Popen([sys.executable, "-m", "agentctl.cli", "tune", "--worker", job], env=env))
    return procs


def _wait_workers(procs: list[subprocess.Popen]) -> None:
    """Wait for the workers; stop them if this process is stopped or fails."""
    for proc in procs:
        try:
            code = proc.wait()
        except BaseException:
            for p in procs:
                p.terminate()
            raise
        if code != 0:
            print(f"a --jobs worker (pid {proc.pid}) exited with status {code}", file=sys.stderr)


def worker(job: dict[str, Any], registry: Registry | None = None) -> None:
    """One --jobs worker (``agentctl tune --worker JSON``, started by ``tune``)."""
    from agentctl.assemble import default_registry

    registry = default_registry(registry)
    optuna = import_optuna()
    study = optuna.load_study(study_name=job["study"], storage=open_storage(optuna, job["storage"]))
    settings = Settings(**study.user_attrs["agentctl"])
    spec = registry.resolve("env", settings.env)
    params = parse_space(settings.space, settings.base(spec), "search space")
    work(study, settings, params, spec, Path(job["run_dir"]), job["trials"], job["index"], registry,
         parent=job["parent"])


# -- results --------------------------------------------------------------------------------
def counts(study: Any) -> dict[str, int]:
    import optuna

    states = optuna.trial.TrialState
    found = [t.state for t in study.get_trials(deepcopy=False)]
    return {"complete": found.count(states.COMPLETE), "pruned": found.count(states.PRUNED),
            "failed": found.count(states.FAIL), "running": found.count(states.RUNNING)}


def print_table(study: Any, params: list[Param], top: int = 5, stream: Any = None) -> None:
    """The best finished trials, best first (rich, on stderr)."""
    import optuna
    from rich.console import Console
    from rich.table import Table

    n = counts(study)
    table = Table(title=f"study {study.study_name}: {n['complete']} complete, {n['pruned']} pruned, "
                        f"{n['failed']} failed, {n['running']} running", title_justify="left")
    for column in ("trial", "score", "steps", "wall s", *(p.key for p in params)):
        table.add_column(column, justify="right")
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    for t in sorted(complete, key=lambda t: -t.value)[:top]:
        shown = decoded(params, t.params)
        table.add_row(str(t.number), f"{t.value:.4g}", f"{t.user_attrs.get('steps', 0):,}",
                      f"{t.user_attrs.get('wall_s', 0):.0f}",
                      *(_fmt(shown.get(p.key)) for p in params))
    Console(file=stream or sys.stderr, width=160).print(table)


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else json.dumps(value) if not isinstance(value, str) else value


def finish(study: Any, settings: Settings, params: list[Param], spec: EnvSpec, run_dir: Path,
           url: str) -> dict[str, Any]:
    """Write ``best.toml`` (the best trial's full config, for ``agentctl train --config``) and
    summarize, with what pruning saved: the steps pruned trials did not train, and their wall
    time at the study's own speed."""
    import optuna

    finished = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,
                                                        optuna.trial.TrialState.PRUNED))
    pruned = [t for t in finished if t.state == optuna.trial.TrialState.PRUNED]
    steps = sum(t.user_attrs.get("steps", 0) for t in finished)
    wall = sum(t.user_attrs.get("wall_s", 0.0) for t in finished)
    saved = sum(settings.steps_per_trial - t.user_attrs.get("steps", 0) for t in pruned)
    summary: dict[str, Any] = {
        "study": study.study_name, "storage": url, "env": settings.env, "run_dir": str(run_dir),
        "score": "win rate vs eval_opponent" if spec.kind == "multi" else "mean return",
        **counts(study), "steps_per_trial": settings.steps_per_trial, "steps_trained": steps,
        "train_wall_s": round(wall, 1), "steps_saved_by_pruning": saved,
        "wall_saved_by_pruning_s": round(saved * wall / steps, 1) if steps else 0.0,
        "best_trial": None, "best_score": None, "best_params": None, "best_config": None,
    }
    if summary["complete"]:
        best = study.best_trial
        values = decoded(params, best.params)
        cfg = resolve(*settings.base(spec), values)
        path = run_dir / "best.toml"
        path.write_text(f"# agentctl tune: best trial {best.number} of study {study.study_name} "
                        f"({summary['score']} {best.value:.6g})\n"
                        f"# agentctl train --env {spec.name} --config {path}\n[ppo]\n{cfg.to_toml()}")
        summary.update(best_trial=best.number, best_score=best.value, best_params=values, best_config=str(path),
                       best_run_dir=best.user_attrs.get("run_dir"))
    return summary


def report(target: str, storage: str | None = None, study_name: str | None = None,
           out_dir: str | None = None) -> list[str]:
    """``agentctl tune --report``: the table again, and PNG plots (optimisation history, parameter
    importances) next to the study; returns what was written or why not."""
    optuna = import_optuna()
    path = Path(target)
    if path.is_dir():
        if not (path / "study.db").exists():
            raise UserError(f"{path} holds no study.db; give a tune run dir, or a study name with --storage")
        url, name, out = storage or f"sqlite:///{(path / 'study.db').resolve()}", study_name, Path(out_dir or path)
    else:
        if not storage:
            raise UserError(f"{target} is not a tune run dir; for a study name give its --storage URL")
        url, name, out = storage, target, Path(out_dir or ".")
    store = open_storage(optuna, url)
    names = [s.study_name for s in store.get_all_studies()]
    if name is None:
        if len(names) != 1:
            raise UserError(f"the storage holds {len(names)} studies ({', '.join(names)}): pick one with --study")
        name = names[0]
    if name not in names:
        raise UserError(f"no study {name!r} in {url}; it holds: {', '.join(names) or 'none'}")
    study = optuna.load_study(study_name=name, storage=store)
    stored = study.user_attrs.get("agentctl", {})
    params = [make_param(key, spec, key) for key, spec in stored.get("space", {}).items()]
    print_table(study, params, top=10)
    return _plots(optuna, study, out)


def _plots(optuna: Any, study: Any, out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["no plots: matplotlib is not installed (pip install matplotlib)"]
    import warnings

    from optuna.visualization import matplotlib as vis

    lines = []
    if not counts(study)["complete"]:
        return ["no plots: the study has no complete trial yet"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optuna marks its matplotlib backend experimental
        for name, draw in (("history", lambda: vis.plot_optimization_history(study)),
                           ("importances", lambda: vis.plot_param_importances(study, evaluator=_evaluator(optuna)))):
            try:
                axes = draw()
            except (ValueError, RuntimeError, ZeroDivisionError) as exc:
                lines.append(f"no {name} plot: {first_line(exc)}")
                continue
            file = out / f"{study.study_name}_{name}.png"
            axes.figure.savefig(file, dpi=100, bbox_inches="tight")
            plt.close(axes.figure)
            lines.append(f"wrote {file}")
    return lines


def _evaluator(optuna: Any) -> Any:
    """fANOVA (Optuna's default) needs scikit-learn; PED-ANOVA does not."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return optuna.importance.PedAnovaImportanceEvaluator()
    return None
