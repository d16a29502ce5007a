"""A decline (or a missed acknowledgement) rules a pair out; the matcher sends someone else or says why not."""

from engine.matching import ProblemBuilder, SolveParams, solve
from engine.model import NeedId, ResourceId, UnmetReason
from tests.matching.helpers import STREET, need, org, resource


def _plan(exclude: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    problem = (
        ProblemBuilder(STREET)
        .add_needs([need("n1"), need("n2", location="c")])
        .add_resources([resource("near", location="b"), resource("far", location="d")])
        .add_organisations([org("o1")])
        .exclude((NeedId(n), ResourceId(r)) for n, r in exclude)
        .build()
    )
    return solve(problem, SolveParams())


def test_without_exclusion_the_nearest_goes() -> None:
    plan = _plan([])
    assert {(a.need, a.resource) for a in plan.assignments} == {("n1", "near"), ("n2", "far")}


def test_a_declined_resource_is_not_sent_again_to_that_need() -> None:
    plan = _plan([("n1", "near")])
    assert {(a.need, a.resource) for a in plan.assignments} == {("n1", "far"), ("n2", "near")}


def test_when_every_candidate_declined_the_need_is_escalated() -> None:
    plan = _plan([("n1", "near"), ("n1", "far")])
    [unmet] = plan.unmet
    assert unmet.need == "n1" and unmet.reason is UnmetReason.EXCLUDED_BY_RULE
    assert unmet.suggestion.action == "escalate_to_street" and "拒绝" in unmet.detail


def test_exclusions_of_needs_no_longer_open_are_history() -> None:
    plan = _plan([("gone", "near"), ("n1", "withdrawn")])
    assert {(a.need, a.resource) for a in plan.assignments} == {("n1", "near"), ("n2", "far")}
