"""Turn units per (slot, resource) into a plan: assignments with their reasons, unmet needs, the objective."""

from collections.abc import Mapping

import numpy as np

from engine.matching.explain import explain_unmet
from engine.matching.memo import AssignmentKey, PlanMemo
from engine.matching.objective import objective, served_per_need
from engine.matching.params import SolveParams
from engine.matching.prepare import Prepared
from engine.model.ids import RuleName
from engine.model.plan import Plan, SolverStats
from engine.rules.builtin import CAPABILITY_MATCH, CERTIFICATIONS, PINNED, SERVICE_MODE
from engine.travel import UNREACHABLE


def build_plan(
    prepared: Prepared,
    units: Mapping[tuple[int, int], int],
    params: SolveParams,
    stats: SolverStats,
) -> Plan:
    sent = [(key, quantity) for key, quantity in units.items() if quantity > 0]
    slots = np.fromiter((key[0] for key, _ in sent), dtype=np.int64, count=len(sent))
    resources = np.fromiter((key[1] for key, _ in sent), dtype=np.int64, count=len(sent))
    travel = prepared.pair_travel(slots, resources).tolist()
    memo = params.memo if params.memo is not None else PlanMemo()
    assignments = []
    for ((s, r), quantity), seconds in zip(sent, travel, strict=True):
        # A pinned pair is reported apart from units the matcher added on the same pair.
        pinned = prepared.pinned.get((s, r), 0)
        if pinned > 0:
            assignments.append(
                memo.assignment(_assignment_key(prepared, memo, s, r, pinned, seconds, pinned=True))
            )
        if quantity > pinned:
            assignments.append(
                memo.assignment(
                    _assignment_key(prepared, memo, s, r, quantity - pinned, seconds, pinned=False)
                )
            )
    assignments.sort(key=lambda a: (a.need, a.part or "", a.resource, a.after or "", not a.pinned))
    served = served_per_need(prepared, units)
    plan = Plan(
        assignments=tuple(assignments),
        unmet=tuple(explain_unmet(prepared, units, memo, params, served)),
        objective=objective(prepared, units, served),
        solver=stats,
    )
    memo.plan_done()
    return plan


def _assignment_key(
    prepared: Prepared, memo: PlanMemo, s: int, r: int, quantity: int, seconds: int, *, pinned: bool
) -> AssignmentKey:
    problem = prepared.problem
    offer = problem.resources[r].id
    slot = prepared.slots[s]
    return (
        problem.needs[slot.need].id,
        problem.real_id(offer),
        quantity,
        slot.part,
        None if seconds == UNREACHABLE else seconds,
        (PINNED,)
        if pinned
        else memo.rules(
            prepared.need_facts[slot.need],
            prepared.resource_facts[r],
            bool(slot.requires),
            lambda: _rules(prepared, s, r),
        ),
        pinned,
        problem.soon_job(offer),
        int(prepared.tables.ready_s[r]),
    )


def _rules(prepared: Prepared, s: int, r: int) -> tuple[RuleName, ...]:
    """The rules that made this pair eligible, and those that shaped its priority and reach."""
    slot = prepared.slots[s]
    facts = prepared.need_facts[slot.need]
    compiled = prepared.problem.rules
    names = [CAPABILITY_MATCH, SERVICE_MODE]
    if slot.requires:
        names.append(CERTIFICATIONS)
    if facts.limit_rule is not None:
        names.append(facts.limit_rule)
    resource = prepared.resource_facts[r]
    both = facts.eligibility & resource.eligibility
    names.extend(
        compiled.eligibility[i].name for i in sorted(both) if compiled.eligibility[i].effect == "require"
    )
    if resource.resting_by is not None:
        names.append(resource.resting_by)
    # Preferences that shaped this pair's cost: own-community ones favour it, rotation counted against it.
    if facts.community is not None and resource.community == facts.community:
        names.extend(rule.name for rule in compiled.own_community)
    if resource.rotation_s:
        names.extend(rule.name for rule in compiled.rotation)
    names.extend(facts.priority_rules)
    return tuple(names)
