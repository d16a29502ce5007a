"""Every unmet need carries its reason and a suggestion; each reason has a case where it fires."""

from engine.matching import SolveParams, solve
from engine.model import Mode, UnmetReason
from engine.rules import load_profile
from tests.matching.helpers import STREET, need, org, problem, resource

PROFILE = load_profile(
    """
name: test
title_zh: 测试
title_en: test
rules:
  - name: no_enterprise_rescue
    kind: eligibility
    effect: deny
    need: {capability: {prefix: rescue.}}
    resource: {organisation_kind: enterprise}
  - name: quick_response
    kind: travel_limit
    limits_s: {3: 100}
""",
    "test.yaml",
)


def _only_unmet(p):  # type: ignore[no-untyped-def]
    plan = solve(p, SolveParams())
    assert len(plan.unmet) == 1
    return plan.unmet[0]


def test_no_capability() -> None:
    u = _only_unmet(problem([need("n1", "power.generator")], [resource("r1")]))
    assert u.reason is UnmetReason.NO_CAPABILITY and u.suggestion.action == "escalate_to_street"
    assert "power.generator" in u.detail


def test_missing_certification() -> None:
    u = _only_unmet(problem([need("n1", requires=["first_aid"])], [resource("r1")]))
    assert u.reason is UnmetReason.MISSING_CERTIFICATION and "first_aid" in u.detail


def test_not_available_offline_or_wrong_mode() -> None:
    offline = _only_unmet(problem([need("n1")], [resource("r1", status="offline")]))
    assert offline.reason is UnmetReason.NOT_AVAILABLE
    normal_only = _only_unmet(problem([need("n1")], [resource("r1", modes="normal")], mode=Mode.INCIDENT))
    assert normal_only.reason is UnmetReason.NOT_AVAILABLE


def test_excluded_by_rule_suggests_relaxing_it() -> None:
    p = problem(
        [need("n1", "rescue.boat")],
        [resource("r1", "rescue.boat")],
        [org("o1", "enterprise")],
        profile=PROFILE,
    )
    u = _only_unmet(p)
    assert u.reason is UnmetReason.EXCLUDED_BY_RULE
    assert (u.suggestion.action, u.suggestion.rule) == ("relax_rule", "no_enterprise_rescue")


def test_out_of_range_by_a_profile_limit_suggests_relaxing_it() -> None:
    p = problem([need("n1")], [resource("r1", location="c")], profile=PROFILE)  # a–c is 120 s > 100 s
    u = _only_unmet(p)
    assert u.reason is UnmetReason.OUT_OF_RANGE
    assert (u.suggestion.action, u.suggestion.rule) == ("relax_rule", "quick_response")


def test_out_of_range_by_the_needs_own_limit_escalates() -> None:
    u = _only_unmet(problem([need("n1", max_travel_s=100)], [resource("r1", location="c")]))
    assert u.reason is UnmetReason.OUT_OF_RANGE and u.suggestion.action == "escalate_to_street"


def test_cut_off_by_a_closed_road() -> None:
    closed = STREET.with_closures([("b", "c")])
    u = _only_unmet(problem([need("n1", max_travel_s=300)], [resource("r1", location="c")], graph=closed))
    assert u.reason is UnmetReason.ROAD_CLOSED
    # Reopened, the same need is served: closures take effect on the next plan, both ways.
    assert (
        solve(
            problem(
                [need("n1", max_travel_s=300)],
                [resource("r1", location="c")],
                graph=closed.reopened([("b", "c")]),
            ),
            SolveParams(),
        ).unmet
        == ()
    )


def test_all_committed_to_higher_priorities() -> None:
    p = problem([need("n1", priority=5), need("n2", priority=2)], [resource("r1")])
    plan = solve(p, SolveParams())
    assert [a.need for a in plan.assignments] == ["n1"]
    (u,) = plan.unmet
    assert u.need == "n2" and u.reason is UnmetReason.ALL_COMMITTED and "5" in u.detail


def test_served_needs_have_no_unmet_entry() -> None:
    assert solve(problem([need("n1")], [resource("r1")]), SolveParams()).unmet == ()
