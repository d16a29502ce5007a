"""Turn units per (slot, resource) into a plan: assignments with their reasons, unmet needs, the objective."""

from collections.abc import Mapping

from engine.matching.explain import explain_unmet
from engine.matching.objective import objective
from engine.matching.params import SolveParams
from engine.matching.prepare import Prepared
from engine.model.ids import RuleName
from engine.model.plan import Assignment, Plan, SolverStats
from engine.rules.builtin import CAPABILITY_MATCH, CERTIFICATIONS, PINNED, SERVICE_MODE


def build_plan(
    prepared: Prepared,
    units: Mapping[tuple[int, int], int],
    params: SolveParams,
    stats: SolverStats,
) -> Plan:
    problem = prepared.problem
    assignments = []
    for (s, r), quantity in units.items():
        if quantity <= 0:
            continue
        slot = prepared.slots[s]
        pinned = prepared.pinned.get((s, r), 0)
        offer = problem.resources[r].id
        real = problem.real_id(offer)
        after = problem.soon_job(offer)
        # A pinned pair is reported apart from units the matcher added on the same pair.
        for amount, is_pin in ((pinned, True), (quantity - pinned, False)):
            if amount > 0:
                assignments.append(
                    Assignment(
                        need=problem.needs[slot.need].id,
                        resource=real,
                        quantity=amount,
                        part=slot.part,
                        travel_s=prepared.travel_s(s, r),
                        rules=(PINNED,) if is_pin else _rules(prepared, s, r),
                        pinned=is_pin,
                        after=after,
                        ready_in_s=int(prepared.tables.ready_s[r]),
                    )
                )
    assignments.sort(key=lambda a: (a.need, a.part or "", a.resource, a.after or "", not a.pinned))
    return Plan(
        assignments=tuple(assignments),
        unmet=tuple(explain_unmet(prepared, units, params)),
        objective=objective(prepared, units),
        solver=stats,
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
    resource_rules = prepared.resource_facts[r].eligibility
    names.extend(
        rule.name
        for i, rule in enumerate(compiled.eligibility)
        if rule.effect == "require" and i in facts.eligibility and i in resource_rules
    )
    resting = prepared.resource_facts[r].resting_by
    if resting is not None:
        names.append(resting)
    # Preferences that shaped this pair's cost: own-community ones favour it, rotation counted against it.
    if facts.community is not None and prepared.resource_facts[r].community == facts.community:
        names.extend(rule.name for rule in compiled.own_community)
    if prepared.resource_facts[r].rotation_s:
        names.extend(rule.name for rule in compiled.rotation)
    names.extend(facts.priority_rules)
    return tuple(names)
