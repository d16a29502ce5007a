"""A copy of a community's coordinator that a solve reads in another thread while the original takes commands.

Every container a command or an event changes is copied, one level deep: the board's dicts, sets and lists
and those of its ledger, contributions and attention. What they hold is shared, as nothing changes it in
place: entities and records are frozen (a change replaces them), graphs never change (a closure makes a new
one), and the profile, the map and the plan are the events' own models. The compiled rules are a memo both
threads would write (a command works out a new need's priority while the solve reads its facts and trims
the memo): the fork gets its own copy of it, warm with everything the board has learnt. What the solve adds
to it stays with the fork: the next fork copies the board's again, so each solve on a fork works out the
resources' facts anew (about 65 ms for 2,000 resources under a shipped profile, beside a re-plan of about
550 ms: benchmarks/snapshot_bench.py).
"""

import copy
from dataclasses import fields, is_dataclass
from typing import TypeVar

from engine.coordinator.coordinator import Coordinator
from engine.coordinator.ports import Pool

T = TypeVar("T")


def fork_coordinator(coordinator: Coordinator, pool: Pool | None) -> Coordinator:
    """``coordinator`` with a copy of its board that plans with ``pool``. The settings and the solve's
    caches (``params``: travel searches, plan parts) are shared: they are keyed by what they were made from,
    and a street runs one solve at a time."""
    twin = copy.copy(coordinator)
    twin.board = _containers_copied(coordinator.board)
    twin.board.pool = pool
    if coordinator.board._rules is not None:
        twin.board._rules = _containers_copied(coordinator.board._rules)
    return twin


def _containers_copied(obj: T) -> T:
    """A shallow copy of ``obj`` whose dict, set and list attributes are copies, and whose mutable records
    (dataclasses not frozen: the ledger, contributions, attention) are copied the same way."""
    twin = copy.copy(obj)
    names = [f.name for f in fields(obj)] if is_dataclass(obj) else list(vars(obj))
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, dict | set | list):
            setattr(twin, name, value.copy())
        elif is_dataclass(value) and not isinstance(value, type) and not _frozen(value):
            setattr(twin, name, _containers_copied(value))
    return twin


def _frozen(record: object) -> bool:
    return bool(record.__dataclass_params__.frozen)  # type: ignore[attr-defined]
