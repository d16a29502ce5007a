"""Builders for needs, resources and organisations, the shipped profiles, and the project's vocabulary.

``pair_blocked_by`` and ``own_community_cost`` restate, for tests, how the matcher combines a need's facts
with a resource's facts (engine/matching/prepare.py ``_screen`` and ``_priced``): a community that is not
known counts as different from every community.
"""

from pathlib import Path

from engine.model.entities import Need, Organisation, OrganisationKind, Resource
from engine.model.ids import CommunityId, NeedId, NodeId, OrganisationId, ResourceId, RuleName
from engine.rules import CompiledProfile, NeedFacts, Profile, ProfileError, ResourceFacts, load_profile
from engine.rules.profile import EligibilityRule

PROFILE_DIR = Path(__file__).resolve().parents[2] / "engine" / "rules" / "profiles"
PROFILE_FILES = tuple(sorted(PROFILE_DIR.glob("*.yaml")))
EXPECTED_PROFILES = frozenset({"urban_admin_rich", "remote_village", "strong_social_orgs", "grid_captains"})

HOME = CommunityId("home")
ELSEWHERE = CommunityId("elsewhere")

CAPABILITIES = (
    "rescue.boat",
    "rescue.crew",
    "rescue.evacuation",
    "medical.first_aid",
    "medical.doctor",
    "supply.water",
    "supply.food",
    "supply.medicine",
    "shelter.bed",
    "transport.vehicle",
    "power.generator",
    "care.visit",
    "care.elderly",
    "repair.electrical",
)
CAPABILITY_PREFIXES = tuple(sorted({c.split(".")[0] + "." for c in CAPABILITIES}))
CERTIFICATIONS = ("water_rescue", "first_aid", "medical_license", "electrician", "driver")
TAGS = ("elderly_alone", "disabled", "bedridden", "infant", "pregnant", "chronic_illness")
ORGANISATION_KINDS = tuple(k.value for k in OrganisationKind)


def load_shipped() -> tuple[dict[str, Profile], dict[str, str]]:
    """Every shipped profile by name, and the error of every file that does not load (tested elsewhere)."""
    profiles: dict[str, Profile] = {}
    errors: dict[str, str] = {}
    for path in PROFILE_FILES:
        try:
            profile = load_profile(path.read_text(encoding="utf-8"), str(path))
        except ProfileError as exc:
            errors[path.name] = str(exc)
        else:
            profiles[profile.name] = profile
    return profiles, errors


SHIPPED, SHIPPED_ERRORS = load_shipped()


def need(
    capability: str = "supply.water",
    priority: int = 3,
    tags: tuple[str, ...] = (),
    *,
    community: str | None = None,
    max_travel_s: int | None = None,
    requires: tuple[str, ...] = (),
    quantity: int = 1,
    id: str = "n1",
) -> Need:
    return Need(
        id=NeedId(id),
        capability=capability,
        quantity=quantity,
        location=NodeId("x1"),
        priority=priority,
        tags=tags,
        community=CommunityId(community) if community else None,
        max_travel_s=max_travel_s,
        requires=requires,
    )


def organisation(
    kind: str = "volunteer_team", community: str | None = HOME, recent_dispatches: int = 0, id: str = "o1"
) -> Organisation:
    return Organisation(
        id=OrganisationId(id),
        kind=OrganisationKind(kind),
        community=CommunityId(community) if community else None,
        recent_dispatches=recent_dispatches,
    )


def resource(
    capability: str = "supply.water",
    certifications: tuple[str, ...] = (),
    *,
    on_duty_s: int = 0,
    organisation: str = "o1",
    quantity: int = 1,
    id: str = "r1",
) -> Resource:
    return Resource(
        id=ResourceId(id),
        organisation=OrganisationId(organisation),
        capability=capability,
        quantity=quantity,
        location=NodeId("x2"),
        certifications=certifications,
        on_duty_s=on_duty_s,
    )


def without(profile: Profile, name: str) -> Profile:
    """The profile with one rule taken out, to measure what that rule alone does."""
    return profile.model_copy(update={"rules": tuple(r for r in profile.rules if r.name != name)})


def _related(relation: str | None, need_community: CommunityId | None, rf: ResourceFacts) -> bool:
    same = need_community is not None and need_community == rf.community
    if relation == "same_community":
        return same
    if relation == "other_community":
        return not same
    return True


def rule_blocks(rule: EligibilityRule, index: int, nf: NeedFacts, rf: ResourceFacts) -> bool:
    """Whether eligibility rule number ``index`` keeps this resource from this need."""
    if index not in nf.eligibility:
        return False
    matches = index in rf.eligibility and _related(rule.relation, nf.community, rf)
    return matches if rule.effect == "deny" else not matches


def pair_blocked_by(compiled: CompiledProfile, nf: NeedFacts, rf: ResourceFacts) -> tuple[RuleName, ...]:
    """Every eligibility rule that keeps the resource from the need, in profile order."""
    return tuple(r.name for i, r in enumerate(compiled.eligibility) if rule_blocks(r, i, nf, rf))


def own_community_cost(compiled: CompiledProfile, nf: NeedFacts, rf: ResourceFacts) -> int:
    same = nf.community is not None and nf.community == rf.community
    return 0 if same else compiled.own_community_penalty_s
