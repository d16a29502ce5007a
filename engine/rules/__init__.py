"""Governance profiles as data: eligibility, priority adjustments, travel limits, preferences, rest."""

from engine.rules.facts import CompiledProfile, NeedFacts, ResourceFacts
from engine.rules.loader import ProfileError, load_profile
from engine.rules.profile import (
    DispatchSettings,
    EligibilityRule,
    PreferenceRule,
    PriorityRule,
    Profile,
    RestRule,
    Rule,
    TravelLimitRule,
)

__all__ = [
    "CompiledProfile",
    "DispatchSettings",
    "EligibilityRule",
    "NeedFacts",
    "PreferenceRule",
    "PriorityRule",
    "Profile",
    "ProfileError",
    "ResourceFacts",
    "RestRule",
    "Rule",
    "TravelLimitRule",
    "load_profile",
]
