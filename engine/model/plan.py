"""A dispatch plan (调度方案): assignments, unmet needs with reasons, and how it was found."""

from enum import StrEnum

from pydantic import Field

from engine.model.frozen import Frozen
from engine.model.ids import Capability, NeedId, ResourceId, RuleName
from engine.model.priority import Priority


class Assignment(Frozen):
    """``quantity`` units of ``resource`` go to ``need`` (to its team ``part`` when one is named)."""

    need: NeedId
    resource: ResourceId
    quantity: int = Field(ge=1)
    part: Capability | None = None
    # None only for a pinned pair with no open road between them.
    travel_s: int | None
    rules: tuple[RuleName, ...]
    pinned: bool = False
    # Units still on another job (``after``, a need): they set off from there in about ``ready_in_s``.
    after: NeedId | None = None
    ready_in_s: int = 0
    # Whose units these are when not the need's own community's: another community's id, or the street's key;
    # ``shared_by`` names the sharing rule that let them go (see SHARED_BY), ``approval`` whether the street
    # must approve the dispatch before it is sent.
    owner: str | None = None
    shared_by: str | None = None
    approval: bool = False


# The sharing rules that let a unit serve a need outside its own community.
SHARED_BY = {
    "street_pool": "街道资源库",
    "lend_spare": "邻社区空闲力量（本社区优先）",
    "lend": "邻社区支援",
}


class UnmetReason(StrEnum):
    NO_CAPABILITY = "no_capability"
    MISSING_CERTIFICATION = "missing_certification"
    NOT_AVAILABLE = "not_available"
    EXCLUDED_BY_RULE = "excluded_by_rule"
    OUT_OF_RANGE = "out_of_range"
    ROAD_CLOSED = "road_closed"
    ALL_COMMITTED = "all_committed"
    # People ruled the pair out for a while: the organisation said no, did not answer in time, or found no
    # open road at set-off. Each lapses (see DispatchSettings.exclusion_s); none is a rule to relax.
    DECLINED = "declined"
    NOT_ACKNOWLEDGED = "not_acknowledged"
    NO_OPEN_ROAD = "no_open_road"
    # Units that could serve are another community's, which does not lend them now (the street's sharing rules).
    NOT_LENT = "not_lent"


# What a cadre reads for each reason.
REASON_ZH: dict[str, str] = {
    "no_capability": "无此能力",
    "missing_certification": "缺资质",
    "not_available": "不可用",
    "excluded_by_rule": "规则排除",
    "out_of_range": "超出距离",
    "road_closed": "道路封闭",
    "all_committed": "已全部派出",
    "declined": "已拒绝",
    "not_acknowledged": "未及时接单",
    "no_open_road": "无路可达",
    "not_lent": "邻社区不外借",
}


class Suggestion(Frozen):
    """What a cadre can do about an unmet need: escalate to the street's pool, or relax a named rule."""

    action: str = Field(pattern=r"^(escalate_to_street|relax_rule|wait|mark_road)$")
    rule: RuleName | None = None
    text: str


# The suggestion for a need the community cannot serve with what it has: ask the street.
ESCALATE = Suggestion(action="escalate_to_street", text="上报街道，请求街道资源库支援")


class Unmet(Frozen):
    need: NeedId
    quantity: int = Field(ge=1)
    priority: Priority
    reason: UnmetReason
    detail: str
    suggestion: Suggestion


class Objective(Frozen):
    """The plan's value in the matcher's strict order: tier 1, then tier 2, then ``kept``.

    Tier 1, ``served_by_priority[k]``: units served at priority ``5 - k`` (5 first), class by class.
    Tier 2, ``cost`` = lateness weight × ``weighted_lateness`` + ``weighted_travel`` − switching cost ×
    ``kept``, where ``weighted_lateness`` sums, over units sent, priority × seconds past the need's response
    target (time already waited + time until the unit is free + travel), and over units left waiting,
    priority × the lateness they would have if reached one response target later (or at the end of the
    need's travel limit, if sooner);
    ``weighted_travel`` sums priority × (seconds until free + travel + preference seconds) over units sent.
    Last, ``kept``: units that the previous plan also had.
    """

    served_by_priority: tuple[int, int, int, int, int]
    cost: int = 0
    weighted_lateness: int = 0
    weighted_travel: int
    kept: int


class SolverStats(Frozen):
    """How the plan was found. Timings live only here, so the rest of a plan is byte-identical run to run."""

    name: str
    methods: tuple[str, ...]
    optimal: bool
    timings_ms: dict[str, float]
    counts: dict[str, int]


class Plan(Frozen):
    assignments: tuple[Assignment, ...]
    unmet: tuple[Unmet, ...]
    objective: Objective
    solver: SolverStats

    def decision_json(self) -> str:
        """The plan without its solver statistics: the same problem always gives the same text."""
        return self.model_dump_json(exclude={"solver"})
