"""Units of a need or a resource: whole numbers up to one maximum, the only place it is written.

Every quantity that enters the engine — a need's units, a resource's stock, a team part's ``per_unit``, a
pin's units, a drill's stock change — is at most :data:`MAX_QUANTITY`. Past it pydantic refuses the value
with a message naming the field ("quantity: Input should be less than or equal to 1000000").

Why 1,000,000: far above any community's pool (a district's bottled water counts in the tens of thousands),
and small enough that no solver step leaves 64 bits at any size a street could plan:

- Min-cost flow (``engine/matching/flow.py``): quantities are only capacities and supplies. OR-Tools adds
  them up per node and refuses a sum past 2**63 (``BAD_CAPACITY_RANGE``); at 10**6 units each, that takes
  more than 9 × 10**12 resources or needs.
  Costs are per unit and scaled by node counts, never by quantities (``fits_one_solve`` reads only costs
  and node counts), and the flow's total cost is never asked for.
  The two-phase solve counts served units per priority with ``np.bincount``, in float64: exact to 2**53,
  so exact for fewer than 9 × 10**9 needs at 10**6 each.
- CP-SAT (``engine/matching/cpsat.py``): its integers are 64-bit. The largest are a team part's units,
  ``per_unit × quantity`` ≤ 10**12 (10**12 per unit gave 10**24: a crash), and the tier-2 stage,
  Σ cost × units ≤ arcs × cost × 10**6. A unit four hours away and four hours late at priority 5 costs about
  1.5 × 10**6 with the default lateness weight (20), so that sum stays under 2**62 up to 3 × 10**6 arcs in one
  component. The costs are the other factor and are not bounded here: a lateness weight of 1000, long
  waits or large preference penalties leave room for fewer arcs.
- Plans, reports and the console add quantities in Python ints, and JavaScript reads them exactly (< 2**53).
"""

from typing import Annotated, Final

from pydantic import Field

MAX_QUANTITY: Final = 1_000_000

# Units asked for or sent: a need's quantity, a team part's per_unit, a pin's units.
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, description=f"whole units, 1 to {MAX_QUANTITY:,}")]
# Units a resource holds; 0 when none are left.
Stock = Annotated[int, Field(ge=0, le=MAX_QUANTITY, description=f"whole units, 0 to {MAX_QUANTITY:,}")]
