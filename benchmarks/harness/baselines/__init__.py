"""Solvers the matcher is compared with, each on the same prepared instance: one per module."""

from benchmarks.harness.baselines.base import Baseline, Case, Outcome
from benchmarks.harness.baselines.cp_sat import CpSat
from benchmarks.harness.baselines.greedy import Greedy
from benchmarks.harness.baselines.linear_assignment import LinearAssignment
from benchmarks.harness.baselines.networkx_flow import NetworkxFlow
from benchmarks.harness.baselines.optimal import Pingzhan
from benchmarks.harness.baselines.ortools_flow import OrToolsFlow

__all__ = [
    "Baseline",
    "Case",
    "CpSat",
    "Greedy",
    "LinearAssignment",
    "NetworkxFlow",
    "OrToolsFlow",
    "Outcome",
    "Pingzhan",
]
