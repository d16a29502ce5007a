"""The rules every profile has, named so that plans can say why a pair was eligible."""

from engine.model.ids import RuleName

CAPABILITY_MATCH = RuleName("capability_match")
CERTIFICATIONS = RuleName("certifications")
SERVICE_MODE = RuleName("service_mode")
# The need's own ``max_travel_s``; a profile's travel_limit rule is named by its own name.
NEED_TRAVEL_LIMIT = RuleName("max_travel_s")
PINNED = RuleName("pinned")

BUILTIN_RULES = (CAPABILITY_MATCH, CERTIFICATIONS, SERVICE_MODE)
