"""A decline (or a missed acknowledgement) rules a pair out; the matcher sends someone else or says why not."""

import pytest

from engine.matching import ProblemBuilder, SolveParams, solve
from engine.model import NeedId, ResourceId, UnmetReason
from tests.matching.helpers import STREET, need, org, resource


def _plan(exclude: list[tuple[str, str]], reason: str = "declined"):  # type: ignore[no-untyped-def]
    problem = (
        ProblemBuilder(STREET)
        .add_needs([need("n1"), need("n2", location="c")])
        .add_resources([resource("near", location="b"), resource("far", location="d")])
        .add_organisations([org("o1")])
        .exclude({(NeedId(n), ResourceId(r)): UnmetReason(reason) for n, r in exclude})
        .build()
    )
    return solve(problem, SolveParams())


def test_without_exclusion_the_nearest_goes() -> None:
    plan = _plan([])
    assert {(a.need, a.resource) for a in plan.assignments} == {("n1", "near"), ("n2", "far")}


def test_a_declined_resource_is_not_sent_again_to_that_need() -> None:
    plan = _plan([("n1", "near")])
    assert {(a.need, a.resource) for a in plan.assignments} == {("n1", "far"), ("n2", "near")}


@pytest.mark.parametrize(
    ("why", "reason", "action", "words"),
    [
        ("declined", UnmetReason.DECLINED, "escalate_to_street", "拒绝"),
        ("not_acknowledged", UnmetReason.NOT_ACKNOWLEDGED, "escalate_to_street", "未及时接单"),
        ("no_open_road", UnmetReason.NO_OPEN_ROAD, "mark_road", "无路可达"),
    ],
)
def test_when_every_candidate_is_ruled_out_the_reason_says_what_happened(
    why: str, reason: UnmetReason, action: str, words: str
) -> None:
    plan = _plan([("n1", "near"), ("n1", "far")], why)
    [unmet] = plan.unmet
    assert unmet.need == "n1" and unmet.reason is reason
    assert unmet.suggestion.action == action and words in unmet.detail
    # None of them is a rule to relax.
    assert unmet.suggestion.rule is None


@pytest.mark.parametrize("why", ["declined", "not_acknowledged", "no_open_road"])
def test_one_candidate_left_means_no_such_reason(why: str) -> None:
    plan = _plan([("n1", "near")], why)
    assert plan.unmet == ()


def test_exclusions_of_needs_no_longer_open_are_history() -> None:
    plan = _plan([("gone", "near"), ("n1", "withdrawn")])
    assert {(a.need, a.resource) for a in plan.assignments} == {("n1", "near"), ("n2", "far")}
