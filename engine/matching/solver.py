"""The plug point every matcher fills: a pure function from a problem to a plan."""

from typing import Protocol

from engine.matching.params import SolveParams
from engine.matching.problem import MatchingProblem
from engine.model.plan import Plan


class Solver(Protocol):
    name: str

    def solve(self, problem: MatchingProblem, params: SolveParams) -> Plan: ...
