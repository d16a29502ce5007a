"""A community's coordinator as bytes and back: a cache of the fold of its log.

A service starts a partition from the latest snapshot and replays only the events after it
(``for e in tail: coordinator.board.evolve(e)``). The log stays the truth: a snapshot this engine cannot read
raises :class:`SnapshotMismatch`, and the caller replays the whole log instead.

The bytes are ``MAGIC``, the format ``VERSION`` (2 bytes, big-endian), the :func:`fingerprint` of the state's
shape (16 bytes), then the payload: the board's state fields, pickled. Pickle, not JSON: the state is some
twenty kinds of frozen records and models (needs, dispatches, the plan, governance records, attention items),
and pickle brings each back exactly as it was (time zones, enums, tuple keys, sets, the order of every dict,
which the open needs' order follows) with no codec per kind to keep in step with the models, and without
validating every model again, which would cost about what the replay it saves costs. The bytes come only from
the service's own database; still, unpickling takes only this engine's classes and a few plain types.

What is derived or shared is not stored: the road graphs (``base_graph`` is built again from ``board.map``
through ``maps``, as the registration event builds it), the compiled rules, the counted organisations, the
street a board plans with (``pool``: the street wires it when it takes the coordinator in), the map loader.
"""

import copyreg
import gc
import io
import pickle
from dataclasses import fields, is_dataclass
from enum import Enum
from functools import cache
from hashlib import blake2b
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, NoReturn, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from engine.coordinator.board import Board
from engine.coordinator.coordinator import Coordinator
from engine.coordinator.ports import MapLoader
from engine.coordinator.settings import CoordinatorSettings
from engine.travel import RoadGraph

MAGIC = b"PZBOARD\x00"
VERSION = 1
_HEADER = len(MAGIC) + 2 + 16
# Board fields that are caches or wiring, made again on load or by the street (not the fold of the log).
NOT_STORED = frozenset({"maps", "base_graph", "_graph", "_rules", "_counted", "pool"})
# What a payload may name besides this engine's classes: the plain types its records hold.
_PLAIN = frozenset(
    {
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("zoneinfo", "ZoneInfo"),
        ("zoneinfo", "_unpickle"),
        # The zone of a time pydantic parsed from text.
        ("pydantic_core._pydantic_core", "TzInfo"),
    }
)


class SnapshotMismatch(ValueError):
    """Bytes this engine does not read as a board snapshot: replay the whole log instead."""


def dumps(coordinator: Coordinator) -> bytes:
    """The coordinator's board as a snapshot: its state fields, none of its caches."""
    board = coordinator.board
    state = {f.name: getattr(board, f.name) for f in fields(Board) if f.name not in NOT_STORED}
    out = io.BytesIO()
    out.write(MAGIC + VERSION.to_bytes(2, "big") + fingerprint())
    _Pickler(out).dump(state)
    return out.getvalue()


def loads(data: bytes, maps: MapLoader, settings: CoordinatorSettings | None = None) -> Coordinator:
    """The coordinator ``dumps`` saw, its road graph built again from its map through ``maps``."""
    if data[: len(MAGIC)] != MAGIC:
        raise SnapshotMismatch(f"not a board snapshot: it starts with {data[: len(MAGIC)]!r}, not {MAGIC!r}")
    version = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 2], "big")
    if version != VERSION:
        raise SnapshotMismatch(
            f"board snapshot format version {version}; this engine reads version {VERSION}"
        )
    theirs, ours = data[len(MAGIC) + 2 : _HEADER], fingerprint()
    if theirs != ours:
        raise SnapshotMismatch(
            f"board snapshot of another state shape (fingerprint {theirs.hex()}, this engine's {ours.hex()}): "
            "a record or model changed its fields since it was made"
        )
    # The payload is hundreds of thousands of new objects with no cycles among them: the cyclic collector,
    # run again and again over them as they are made, takes several times as long as the unpickling itself.
    collecting = gc.isenabled()
    gc.disable()
    try:
        payload = io.BytesIO(data)
        payload.seek(_HEADER)
        state = _Unpickler(payload).load()
    except SnapshotMismatch:
        raise
    except Exception as exc:  # a truncated or damaged payload, whichever way pickle notices it
        raise SnapshotMismatch(f"board snapshot payload unreadable: {type(exc).__name__}: {exc}") from None
    finally:
        if collecting:
            gc.enable()
    coordinator = Coordinator(maps, settings)
    board = coordinator.board
    for name, value in state.items():
        setattr(board, name, value)
    if board.map is not None:
        board.base_graph = maps(board.map)
    return coordinator


@cache
def fingerprint() -> bytes:
    """A hash over the names and types of every field the stored state holds, walked from the board's fields
    down through its records, models and enums: a field added, renamed or retyped anywhere changes it."""
    lines: list[str] = []
    seen: set[type] = set()
    hints = get_type_hints(Board)
    for f in fields(Board):
        if f.name not in NOT_STORED:
            lines.append(f"Board.{f.name}: {_shape(hints[f.name], seen, lines)}")
    return blake2b("\n".join(lines).encode(), digest_size=16).digest()


def _shape(hint: Any, seen: set[type], lines: list[str]) -> str:
    """``hint`` as stable text; each class it names is described once into ``lines``."""
    origin = get_origin(hint)
    if origin is Annotated:  # the metadata validates values; it is not the shape
        return _shape(get_args(hint)[0], seen, lines)
    if origin is Literal:
        return f"Literal{list(get_args(hint))!r}"
    if origin is not None:
        name = "Union" if origin in (Union, UnionType) else _shape(origin, seen, lines)
        return f"{name}[{', '.join(_shape(a, seen, lines) for a in get_args(hint))}]"
    if hint is Ellipsis or hint is NoneType:
        return repr(hint)
    if not isinstance(hint, type):
        return repr(hint)
    name = f"{hint.__module__}.{hint.__qualname__}"
    if hint not in seen and hint.__module__.startswith("engine."):
        seen.add(hint)
        lines.extend(_described(hint, name, seen, lines))
    return name


def _described(cls: type, name: str, seen: set[type], lines: list[str]) -> list[str]:
    if issubclass(cls, Enum):
        return [f"{name} = {[(m.name, m.value) for m in cls]!r}"]
    if issubclass(cls, BaseModel):
        return [f"{name}.{k}: {_shape(f.annotation, seen, lines)}" for k, f in cls.model_fields.items()]
    if is_dataclass(cls):
        hints = get_type_hints(cls)
        return [f"{name}.{f.name}: {_shape(hints[f.name], seen, lines)}" for f in fields(cls)]
    return [name]


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        # Graphs and boards are shared or derived: one reaching the payload is a bug, not a cache. Looked up by
        # type, so the records and models that make up the payload pay nothing for the check.
        self.dispatch_table = {
            **copyreg.dispatch_table,
            **dict.fromkeys((Board, Coordinator, RoadGraph), _refused),
        }


def _refused(obj: object) -> NoReturn:
    raise TypeError(f"a board snapshot does not store {type(obj).__name__} objects")


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("engine.") or (module, name) in _PLAIN:
            return super().find_class(module, name)
        raise SnapshotMismatch(f"board snapshot payload names {module}.{name}, which a board never holds")
