"""The benchmark sizes of issue 6, and how many measurements each can afford on a 2-core machine."""

from dataclasses import dataclass

from engine.matching.params import SolveParams


@dataclass(frozen=True)
class Size:
    name: str
    needs: int
    units: int
    # A rows × cols street grid of about the road node count.
    rows: int
    cols: int
    # Poisson events in the measured stream: each gives one full and one incremental re-plan.
    events: int
    # Repetitions of each baseline; the slow pure-Python and CP-SAT references are left out where noted.
    baseline_reps: int
    networkx: bool
    cp_sat: bool
    assignment: bool
    # Plentiful/scarce variants for the greedy baseline's excess.
    variants: bool
    # How the matcher prunes (its defaults; the smoke test prunes S hard to see it).
    prune_k: int | None = SolveParams().prune_k
    prune_above_arcs: int = SolveParams().prune_above_arcs

    @property
    def road_nodes(self) -> int:
        return self.rows * self.cols


SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size("S", 50, 200, 45, 45, 600, 20, True, True, True, True),
        Size("M", 200, 1_000, 141, 142, 300, 10, True, True, True, True),
        Size("L", 2_000, 2_000, 316, 317, 60, 3, True, True, True, True),
        Size("XL", 10_000, 50_000, 500, 500, 12, 1, False, False, False, False),
    )
}


def parse_sizes(text: str) -> list[Size]:
    names = [name.strip().upper() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SIZES]
    if unknown or not names:
        raise ValueError(f"--sizes {text!r}: give a comma-separated subset of {','.join(SIZES)}")
    return [SIZES[name] for name in names]
