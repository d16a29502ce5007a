"""Candidate pruning for very large problems, with a certificate that tier 1 is what the full problem gives.

At city scale most candidate arcs are far units no optimal plan would send. The matcher keeps each slot's
``k`` cheapest arcs (and every arc the previous plan used), solves that, and then checks the plan against
every candidate arc. Tier 1 (units served, priority by priority) is the largest total priority the units
can serve. A plan falls short of it exactly when, over all candidate arcs, some unit could be moved along
an alternating path (an arc with room, then back along an arc that carries units, and so on) from an idle
unit or from a need of lower priority to a need with units still open. :func:`improvable` looks for such
paths with one breadth-first search per priority; where it finds none, the pruned plan's tier 1 is the full
problem's, which is the certificate. Where it finds some, the matcher adds every arc of the needs concerned
and solves again, and as a last resort solves the full problem. Tier 2 (lateness, travel) may be a little
higher than the full solve's: ``pingzhan bench`` measures that gap.
"""

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

from engine.matching.prepare import BoolArray, IntArray, Prepared
from engine.model.priority import DESCENDING


def cheapest(prepared: Prepared, arcs: IntArray, k: int) -> IntArray:
    """Of ``arcs`` (ascending indices into the candidate arcs), each slot's ``k`` cheapest by unit cost,
    and every arc the previous plan had units on; ascending."""
    slots = prepared.arc_slot[arcs]
    order = np.lexsort((prepared.arc_cost[arcs], slots))
    # Arcs come sorted by slot, so each slot's arcs are the same run before and after the sort by cost
    # within it: rank each arc within its run.
    first = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]]) if len(slots) else slots
    rank = np.arange(len(arcs)) - np.repeat(first, np.diff(np.r_[first, len(slots)]))
    keep = np.zeros(len(arcs), dtype=np.bool_)
    keep[order[rank < k]] = True
    keep |= prepared.arc_kept[arcs] > 0
    result: IntArray = arcs[keep]
    return result


def improvable(prepared: Prepared, arcs: IntArray, flow: IntArray) -> BoolArray:
    """Per arc of ``arcs``: whether its slot is a need that some alternating path over ``arcs`` could give
    one more unit to while taking none from a need of its priority or higher (all False: tier 1 is optimal).

    ``flow`` holds the units on each of ``arcs`` (0 on the arcs the solve did not have).
    """
    t = prepared.tables
    slots, resources = prepared.arc_slot[arcs], prepared.arc_resource[arcs]
    wanted = t.need_quantity[t.slot_need[slots]]
    room = np.minimum(prepared.free[resources], np.maximum(wanted - prepared.pinned_per_slot[slots], 0))
    num_resources = len(prepared.problem.resources)
    num_slots = len(t.slot_need)
    # Nodes: resources, then slots, then one start node.
    start = num_resources + num_slots
    slot_node = num_resources + slots
    forward = flow < room
    backward = flow > 0
    tails = np.concatenate([resources[forward], slot_node[backward]])
    heads = np.concatenate([slot_node[forward], resources[backward]])
    used = np.zeros(num_resources, dtype=np.int64)
    np.add.at(used, resources, flow)
    served = np.zeros(num_slots, dtype=np.int64)
    np.add.at(served, slots, flow)
    idle = np.flatnonzero(prepared.free - used > 0)
    open_slots = np.zeros(num_slots, dtype=np.bool_)
    open_slots[slots] = True
    open_slots &= np.maximum(t.need_quantity[t.slot_need] - prepared.pinned_per_slot, 0) > served
    priority = t.priority[t.slot_need]
    flagged = np.zeros(num_slots, dtype=np.bool_)
    # Lowest first: from the idle units (worth 0), then also from needs of priority up to v that could give
    # a unit up; a need of higher priority with room that is reached could gain.
    for v in (0, *DESCENDING[::-1][:-1]):
        givers = np.flatnonzero((served > 0) & (priority <= v)) + num_resources
        starts = np.concatenate([idle, givers])
        if len(starts) == 0:
            continue
        graph = coo_matrix(
            (
                np.ones(len(tails) + len(starts), dtype=np.int8),
                (np.concatenate([tails, np.full(len(starts), start)]), np.concatenate([heads, starts])),
            ),
            shape=(start + 1, start + 1),
        ).tocsr()
        reached = breadth_first_order(graph, start, directed=True, return_predecessors=False)
        hit = reached[(reached >= num_resources) & (reached < start)] - num_resources
        flagged[hit[open_slots[hit] & (priority[hit] > v)]] = True
    result: BoolArray = flagged[slots]
    return result
