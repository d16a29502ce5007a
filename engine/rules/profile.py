"""A community's governance profile: named rules as data, one model per kind of rule."""

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from engine.governance.appeals import AppealSettings
from engine.governance.scoring import TaskSettings
from engine.model.entities import Mode
from engine.model.frozen import Frozen
from engine.model.ids import RuleName
from engine.model.priority import Priority, StrictPriority
from engine.model.warning import WarningSettings
from engine.rules.conditions import NeedCondition, ResourceCondition

RuleNameField = Annotated[RuleName, Field(pattern=r"^[a-z][a-z0-9_]*$")]
BOTH_MODES = (Mode.NORMAL, Mode.INCIDENT)


class _Rule(Frozen):
    name: RuleNameField
    description: str = ""
    modes: tuple[Mode, ...] = Field(default=BOTH_MODES, min_length=1)

    def applies_in(self, mode: Mode) -> bool:
        return mode in self.modes


class EligibilityRule(_Rule):
    """Which resources may serve which needs.

    ``deny``: a resource matching ``resource`` may not serve a need matching ``need``.
    ``require``: a need matching ``need`` may be served only by resources matching ``resource``.
    ``relation`` adds a condition between the two: the same community, or another one.
    """

    kind: Literal["eligibility"]
    effect: Literal["deny", "require"]
    need: NeedCondition = NeedCondition({})
    resource: ResourceCondition = ResourceCondition({})
    relation: Literal["same_community", "other_community"] | None = None


class PriorityRule(_Rule):
    """Raise or lower the priority of needs matching ``need`` (the result stays within 1..5)."""

    kind: Literal["priority"]
    need: NeedCondition
    adjust: int = Field(ge=-4, le=4, strict=True)

    @field_validator("adjust")
    @classmethod
    def _moves(cls, adjust: int) -> int:
        if adjust == 0:
            raise ValueError("0 changes nothing; give -4..-1 or 1..4")
        return adjust


class TravelLimitRule(_Rule):
    """The longest travel, in seconds, allowed for a need of each priority (after adjustments)."""

    kind: Literal["travel_limit"]
    limits_s: dict[Priority, Annotated[int, Field(gt=0, strict=True)]] = Field(min_length=1)


class PreferenceRule(_Rule):
    """Soft wishes, counted as extra seconds of travel so that they never outrank serving a need.

    ``own_community``: a resource whose organisation belongs to another community counts ``penalty_s`` more.
    ``rotation``: each recent dispatch of the organisation counts ``penalty_s`` more, so the same
    volunteers are not always asked.
    """

    kind: Literal["preference"]
    prefer: Literal["own_community", "rotation"]
    penalty_s: int = Field(gt=0, strict=True)


class RestRule(_Rule):
    """A resource on duty longer than ``max_on_duty_s`` rests, except for needs of ``except_priority`` or more."""

    kind: Literal["rest"]
    max_on_duty_s: int = Field(gt=0, strict=True)
    except_priority: StrictPriority | None = None


Rule = Annotated[
    EligibilityRule | PriorityRule | TravelLimitRule | PreferenceRule | RestRule,
    Field(discriminator="kind"),
]


# Life-safety within 15 minutes, urgent within 30, down to four hours for routine help.
DEFAULT_RESPONSE_TARGET_S: dict[int, int] = {5: 900, 4: 1800, 3: 3600, 2: 7200, 1: 14400}


class DispatchSettings(Frozen):
    """How the live service and drills run a dispatch under this profile.

    ``auto_confirm_priority``: in incident mode, proposals for needs of this priority or above are confirmed
    without waiting for a cadre (None: a cadre confirms every one). An organisation that has not
    acknowledged a dispatch ``ack_timeout_s`` after it was sent is passed over for that need. A need still
    not fully covered by confirmed dispatches ``escalate_after_s`` after it was reported goes to the street.
    In normal times, open needs are matched every ``normal_match_every_s``.
    """

    auto_confirm_priority: StrictPriority | None = None
    ack_timeout_s: int = Field(default=600, gt=0, strict=True)
    escalate_after_s: int = Field(default=1800, gt=0, strict=True)
    normal_match_every_s: int = Field(default=300, gt=0, strict=True)
    # The response time each priority should meet, from the report to the first unit on site. The matcher
    # minimises lateness against these (time already waited + time until free + travel), priority-weighted.
    response_target_s: dict[Priority, Annotated[int, Field(gt=0, strict=True)]] = Field(
        default_factory=lambda: dict(DEFAULT_RESPONSE_TARGET_S)
    )
    # One second late counts as this many seconds of travel: lateness comes first, travel breaks ties.
    lateness_weight: int = Field(default=20, ge=1, le=100, strict=True)
    # Being late at all counts as this many seconds more lateness: of two plans equally late in all, the one
    # that reaches more needs in time wins.
    late_step_s: int = Field(default=1800, ge=0, le=3600, strict=True)
    # For life-safety every this many seconds further late weighs once more (1×, 2×, 3×, then 4×), so the
    # longest waits are cut first (0: every second alike).
    life_safety_band_s: int = Field(default=300, ge=0, le=3600, strict=True)
    # Expected seconds from a proposal to setting off (confirmation, answer, getting ready): counted in every
    # arrival, so that a need just inside its target is not taken for one that can wait.
    setoff_s: int = Field(default=120, ge=0, le=3600, strict=True)
    # In an incident, a unit on a job may be planned for its next one, from where and when it should finish.
    plan_busy_units: bool = False
    # Expected seconds on site per capability (a name, or a prefix ending in "."), to know when a unit is free.
    job_s: dict[str, Annotated[int, Field(gt=0, strict=True)]] = Field(default_factory=dict)
    default_job_s: int = Field(default=1200, gt=0, strict=True)
    # A decline or a missed acknowledgement rules the pair out this long, or until the resource or the need
    # changes; a responder finding no open road rules it out until the roads change.
    exclusion_s: int = Field(default=1800, gt=0, strict=True)
    # A re-plan moves a proposed unit only when it gains more than this (priority-weighted seconds).
    switch_cost_s: int = Field(default=12000, ge=0, strict=True)

    @field_validator("response_target_s")
    @classmethod
    def _every_priority(cls, targets: dict[int, int]) -> dict[int, int]:
        missing = sorted(set(DEFAULT_RESPONSE_TARGET_S) - set(targets))
        if missing:
            raise ValueError(f"give a target for every priority 1..5; missing {missing}")
        return dict(sorted(targets.items()))

    def target_s(self, priority: int) -> int:
        return self.response_target_s[priority]

    def job_seconds(self, capability: str) -> int:
        """Expected seconds on site: the capability's own entry, else its longest matching prefix."""
        if capability in self.job_s:
            return self.job_s[capability]
        prefixes = [p for p in self.job_s if p.endswith(".") and capability.startswith(p)]
        return self.job_s[max(prefixes, key=len)] if prefixes else self.default_job_s


class SharingSettings(Frozen):
    """How a community shares its units with the other communities of its street (the street's own pool
    serves every community of the street, in the modes each of its resources serves).

    ``lend``: when this community's units may serve another community's needs: ``never``, while the community
    asking is in an incident (``incident``), or also for its everyday needs (``always``).
    ``own_first``: only units its own needs leave idle go (its own plan, made alone, says which); without it
    the street's plan sends them wherever they serve most.
    ``street_approval``: a dispatch of its units to another community waits for the street's approval.
    ``never_lend``: capabilities (a name, or a prefix ending in ".") it never lends.
    ``approval_s``: how long the street is expected to take to approve a loan (the plan counts it in the
    loan's arrival, so a unit of the community's own that is as close goes first).
    """

    lend: Literal["never", "incident", "always"] = "never"
    own_first: bool = True
    street_approval: bool = False
    # How long the street takes to approve a loan, as plans expect it: a loan arrives that much later.
    approval_s: int = Field(default=300, ge=0, le=3600, strict=True)
    never_lend: tuple[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$")], ...] = ()

    def lends(self, capability: str, mode: Mode) -> bool:
        """Whether a unit of ``capability`` may serve a need of another community in ``mode`` (its mode)."""
        if self.lend == "never" or (self.lend == "incident" and mode is not Mode.INCIDENT):
            return False
        return not any(
            capability == p or (p.endswith(".") and capability.startswith(p)) for p in self.never_lend
        )


def dispatch_of(profile: "Profile | None") -> DispatchSettings:
    """The dispatch settings in force: the profile's, or the defaults where there is no profile."""
    return profile.dispatch if profile is not None else DispatchSettings()


class Profile(Frozen):
    """A governance profile: who may serve whom, what comes first, how far is too far, how tasks score."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    description: str = ""
    dispatch: DispatchSettings = DispatchSettings()
    sharing: SharingSettings = SharingSettings()
    tasks: TaskSettings = TaskSettings()
    appeals: AppealSettings = AppealSettings()
    warnings: WarningSettings = WarningSettings()
    rules: tuple[Rule, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> "Profile":
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rules: the name {rule.name!r} is used twice")
            seen.add(rule.name)
        return self

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise ValueError(f"profile {self.name!r} has no rule {name!r}")
