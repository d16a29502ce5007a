"""How many appeals residents may send, and in what window: the defaults ``pingzhan serve`` shows in its help
(light to import: the limiter itself is api/appeal_limits.py)."""

from dataclasses import dataclass

# Per building link: a building of a few hundred flats reporting one leak is far below this.
PER_BUILDING = "30/10 minutes"
# Per client address: a family on one phone, or a few on one carrier's shared address.
PER_ADDRESS = "10/10 minutes"
# Receipt look-ups and ratings per address: a page polling for news is well inside; guessing receipts is not.
LOOKUPS_PER_ADDRESS = "120/minute"


@dataclass(frozen=True)
class AppealRates:
    per_building: str = PER_BUILDING
    per_address: str = PER_ADDRESS
    lookups_per_address: str = LOOKUPS_PER_ADDRESS
