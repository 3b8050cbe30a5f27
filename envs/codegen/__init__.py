"""Code completion problems: the shipped train / held-out sets and loaders for HumanEval and
MBPP-style files. Plain Python: no torch, nothing of the PPO engine."""

from agentctl.envs.codegen.formats import humaneval_path, load_humaneval, load_mbpp, read_jsonl
from agentctl.envs.codegen.problems import SPLITS, Problem, load_folder, load_split, parse_problem

__all__ = ["SPLITS", "Problem", "humaneval_path", "load_humaneval", "load_folder", "load_mbpp", "load_split", "parse_problem",
           "read_jsonl"]
