"""An independent formulation of the matcher's objective: a lexicographic MILP solved by HiGHS (scipy).

It shares no code with the engine beyond the problem's data: eligibility comes from networkx all-pairs
shortest paths and plain comparisons, and the strict order is kept by solving in stages.
"""

from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from engine.matching import MatchingProblem

HORIZON_S = 4 * 3600
LATE_CAP_S = 4 * 3600


@dataclass
class Reference:
    served_by_priority: tuple[int, ...]
    cost: int
    kept: int


def _late(seconds: int, priority: int, step: int, band: int) -> int:
    """Seconds late, capped, plus ``step`` if late at all; for life-safety steeper by ``band``: slope 1 for
    the first band, 2 for the second, 3 for the third, 4 beyond."""
    past = min(max(0, seconds), LATE_CAP_S)
    stepped = step if past > 0 else 0
    if priority < 5 or band == 0:
        return past + stepped
    return stepped + sum(min(4, 1 + t // band) for t in range(past))


def travel_seconds(problem: MatchingProblem) -> dict[str, dict[str, int]]:
    g = nx.DiGraph()
    g.add_nodes_from(problem.graph.nodes)
    for u, v, data in problem.graph.networkx().edges(data=True):
        g.add_edge(u, v, weight=data["seconds"])
    return {k: dict(v) for k, v in nx.all_pairs_dijkstra_path_length(g, weight="weight")}


def eligible(
    problem: MatchingProblem, times: dict[str, dict[str, int]], need_i: int, part: str | None, res_j: int
) -> bool:
    """The plain rules (no profile): capability, certifications, availability in this mode, travel limit."""
    need, res = problem.needs[need_i], problem.resources[res_j]
    if part is None:
        capability, requires = need.capability, set(need.requires)
    else:
        p = next(p for p in need.team if p.capability == part)
        capability, requires = p.capability, set(p.requires)
    limit = min(need.max_travel_s or HORIZON_S, HORIZON_S)
    seconds = times[res.location].get(need.location)
    return (
        res.capability == capability
        and requires <= set(res.certifications)
        and res.status.value == "available"
        and res.modes.serves(problem.mode)
        and res.quantity > 0
        and seconds is not None
        and seconds <= limit
    )


def solve_reference(problem: MatchingProblem) -> Reference:
    assert problem.profile is None, "the reference knows only the plain rules"
    times = travel_seconds(problem)
    slots = [(i, None, 1) for i in range(len(problem.needs))]
    slots += [(i, p.capability, p.per_unit) for i, n in enumerate(problem.needs) for p in n.team]
    pinned = {}
    for pin in problem.pinned:
        key = (problem.need_index[pin.need], pin.part, problem.resource_index[pin.resource])
        pinned[key] = pinned.get(key, 0) + pin.quantity
    prev = {}
    for p in problem.previous:
        key = (problem.need_index[p.need], p.part, problem.resource_index[p.resource])
        prev[key] = prev.get(key, 0) + p.quantity
    # Arcs: every eligible pair, and every pinned pair (kept whatever the rules say).
    allowed = {
        (i, part, j)
        for (i, part, _) in slots
        for j in range(len(problem.resources))
        if eligible(problem, times, i, part, j)
    }
    arcs = sorted(allowed | set(pinned), key=lambda k: (k[0], k[1] or "", k[2]))
    na, nn, ns = len(arcs), len(problem.needs), len(slots)
    # Columns: x (units per arc, pins included), y (whole units per need), w (new units per slot),
    # z (slot binary for w = max(0, per_unit*y - pinned)), k (kept units per arc).
    X, Y, W, Z, K = 0, na, na + nn, na + nn + ns, na + nn + 2 * ns
    ncol = na + nn + 2 * ns + na
    lb, ub = np.zeros(ncol), np.zeros(ncol)
    rows, lo, hi = [], [], []

    def row(coeffs: dict[int, float], low: float, high: float) -> None:
        r = np.zeros(ncol)
        for c, v in coeffs.items():
            r[c] += v
        rows.append(r)
        lo.append(low)
        hi.append(high)

    for a, key in enumerate(arcs):
        lb[X + a] = pinned.get(key, 0)
        # A pinned pair the rules would not allow carries its pinned units and no more.
        ub[X + a] = problem.resources[key[2]].quantity if key in allowed else pinned[key]
        ub[K + a] = prev.get(key, 0)
        row({K + a: 1, X + a: -1}, -np.inf, 0)
    for i, need in enumerate(problem.needs):
        ub[Y + i] = need.quantity
    for j, res in enumerate(problem.resources):
        row(
            {X + a: 1 for a, key in enumerate(arcs) if key[2] == j},
            -np.inf,
            max(res.quantity, sum(v for k, v in pinned.items() if k[2] == j)),
        )
    for s, (i, part, per_unit) in enumerate(slots):
        pins = sum(v for k, v in pinned.items() if k[0] == i and k[1] == part)
        big = per_unit * problem.needs[i].quantity + pins
        ub[W + s], ub[Z + s] = big, 1
        new = {X + a: 1 for a, key in enumerate(arcs) if key[0] == i and key[1] == part}
        row({**new, W + s: -1}, pins, pins)  # sum of x = pins + w
        row({W + s: 1, Y + i: -per_unit}, -pins, np.inf)  # w >= per_unit*y - pins
        row(
            {W + s: 1, Y + i: -per_unit, Z + s: big}, -np.inf, big - pins
        )  # w <= per_unit*y - pins + big(1-z)
        row({W + s: 1, Z + s: -big}, -np.inf, 0)  # w <= big*z
    aon = [i for i, n in enumerate(problem.needs) if n.all_or_nothing]
    B = ncol
    if aon:
        lb, ub = np.append(lb, np.zeros(len(aon))), np.append(ub, np.ones(len(aon)))
        rows = [np.append(r, np.zeros(len(aon))) for r in rows]
        ncol += len(aon)
        for t, i in enumerate(aon):
            row({Y + i: 1, B + t: -problem.needs[i].quantity}, 0, 0)
    integrality = np.ones(ncol)
    # Tier 2 in words: each unit sent costs priority × (weight × lateness + seconds until the unit is free +
    # travel); each unit left waiting costs priority × weight × the lateness it would have if reached one
    # target later (or at the end of its travel limit); each unit kept from the previous plan saves the
    # switching cost.
    dispatch = problem.dispatch
    weight, switch = dispatch.lateness_weight, dispatch.switch_cost_s
    shape = (dispatch.late_step_s, dispatch.life_safety_band_s)

    def waited(i: int) -> int:
        need = problem.needs[i]
        if problem.at is None or need.reported_at is None:
            return 0
        return max(0, int((problem.at - need.reported_at).total_seconds()))

    def cost(a: int) -> int:
        i, _, j = arcs[a]
        need, res = problem.needs[i], problem.resources[j]
        ready = problem.soon[res.id].in_s if res.id in problem.soon else 0
        home, asking = problem.organisations[res.organisation].community, need.community or problem.community
        if home is None or asking is None or home != asking:
            ready += problem.away_s(res.id)
        seconds = times[res.location].get(need.location, 0) + ready
        arrival = waited(i) + dispatch.setoff_s + seconds
        late = _late(arrival - dispatch.response_target_s[need.priority], need.priority, *shape)
        return need.priority * (weight * late + seconds)

    def waiting(i: int) -> int:
        need = problem.needs[i]
        # Left waiting, it is taken to be reached one target later, or at the end of its limit if sooner.
        target = dispatch.response_target_s[need.priority]
        later = min(need.max_travel_s or HORIZON_S, HORIZON_S, target)
        arrival = waited(i) + dispatch.setoff_s + later
        late = _late(arrival - dispatch.response_target_s[need.priority], need.priority, *shape)
        return need.priority * weight * late

    # Units left waiting, as a constant less what each served unit saves.
    left_waiting = sum(n.quantity * waiting(i) for i, n in enumerate(problem.needs))
    stages = []
    for p in range(5, 0, -1):
        stages.append(("max", {Y + i: 1 for i, n in enumerate(problem.needs) if n.priority == p}))
    tier2 = {X + a: cost(a) for a in range(na)}
    tier2.update({Y + i: -waiting(i) for i in range(nn)})
    tier2.update({K + a: -switch for a in range(na)})
    stages.append(("min", tier2))
    stages.append(("max", {K + a: 1 for a in range(na)}))
    values = []
    for sense, coeffs in stages:
        c = np.zeros(ncol)
        for col, v in coeffs.items():
            c[col] = -v if sense == "max" else v
        result = milp(
            c,
            integrality=integrality,
            bounds=Bounds(lb, ub),
            constraints=LinearConstraint(np.array(rows), lo, hi),
        )
        assert result.success, result.message
        value = round(-result.fun if sense == "max" else result.fun)
        values.append(value)
        r = np.zeros(ncol)
        for col, v in coeffs.items():
            r[col] = v
        rows.append(r)
        lo.append(value - 0.5 if sense == "max" else -np.inf)
        hi.append(np.inf if sense == "max" else value + 0.5)
    return Reference(tuple(values[:5]), values[5] + left_waiting, values[6])
