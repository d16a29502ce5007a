"""Conditions in a small declarative form: ``{field: {operator: value}}``, every entry must hold.

No ``eval``: a condition names known fields of a need or a resource and one operator each. A bare value is
short for ``eq`` and a list is short for ``in``.
"""

from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

from pydantic import Field, RootModel, model_validator

from engine.model.entities import OrganisationKind, ServiceModes
from engine.model.frozen import Frozen

Scalar = str | int
Value = Scalar | frozenset[str] | None

NeedField = Literal["capability", "priority", "quantity", "tags", "requires", "community", "reported_by"]
ResourceField = Literal[
    "capability",
    "organisation",
    "organisation_kind",
    "community",
    "certifications",
    "modes",
    "quantity",
    "on_duty_s",
]

# Which operators make sense for which shape of field; a profile that mixes them fails at load time.
SET_FIELDS = frozenset({"tags", "requires", "certifications"})
INT_FIELDS = frozenset({"priority", "quantity", "on_duty_s"})
SET_OPS = frozenset({"has", "has_any", "has_none"})
INT_OPS = frozenset({"eq", "ne", "in", "not_in", "gte", "lte"})
STR_OPS = frozenset({"eq", "ne", "in", "not_in", "prefix", "not_prefix"})
# Fields whose values are a closed vocabulary: a misspelt value would silently never match.
ENUM_VALUES = {
    "organisation_kind": frozenset(k.value for k in OrganisationKind),
    "modes": frozenset(m.value for m in ServiceModes),
}

F = TypeVar("F", NeedField, ResourceField)


class Test(Frozen):
    """One operator applied to one field."""

    __test__ = False  # not a pytest test class, wherever it is imported

    eq: Scalar | None = None
    ne: Scalar | None = None
    in_: tuple[Scalar, ...] | None = Field(default=None, alias="in")
    not_in: tuple[Scalar, ...] | None = None
    prefix: str | None = None
    not_prefix: str | None = None
    gte: int | None = None
    lte: int | None = None
    has: str | None = None
    has_any: tuple[str, ...] | None = None
    has_none: tuple[str, ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str | int) and not isinstance(data, bool):
            return {"eq": data}
        if isinstance(data, list):
            return {"in": data}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> "Test":
        if len(self.operators()) != 1:
            raise ValueError(f"give exactly one operator, got {sorted(self.operators()) or 'none'}")
        return self

    def operators(self) -> dict[str, object]:
        return {name: value for name, value in self.model_dump(by_alias=True).items() if value is not None}

    def holds(self, value: Value) -> bool:
        ((op, arg),) = self.operators().items()
        if isinstance(value, frozenset):
            return _holds_on_set(op, arg, value)
        return _holds_on_scalar(op, arg, value)


def _holds_on_set(op: str, arg: object, value: frozenset[str]) -> bool:
    if op == "has":
        return arg in value
    assert isinstance(arg, tuple)
    if op == "has_any":
        return not value.isdisjoint(arg)
    return value.isdisjoint(arg)  # has_none


def _holds_on_scalar(op: str, arg: object, value: Scalar | None) -> bool:
    if op in ("eq", "ne"):
        return (value == arg) == (op == "eq")
    if op in ("in", "not_in"):
        assert isinstance(arg, tuple)
        return (value in arg) == (op == "in")
    if op in ("prefix", "not_prefix"):
        assert isinstance(arg, str)
        return (isinstance(value, str) and value.startswith(arg)) == (op == "prefix")
    assert isinstance(arg, int)
    if not isinstance(value, int):
        return False
    return value >= arg if op == "gte" else value <= arg


def _check_ops(conditions: Mapping[NeedField, Test] | Mapping[ResourceField, Test]) -> None:
    for field, test in conditions.items():
        allowed = SET_OPS if field in SET_FIELDS else INT_OPS if field in INT_FIELDS else STR_OPS
        bad = set(test.operators()) - allowed
        if bad:
            raise ValueError(
                f"{field}: operator {sorted(bad)[0]!r} does not apply; use one of {sorted(allowed)}"
            )
        ((op, arg),) = test.operators().items()
        args = arg if isinstance(arg, tuple) else (arg,)
        want = int if field in INT_FIELDS else str
        wrong = [a for a in args if not isinstance(a, want) or isinstance(a, bool)]
        if wrong:
            raise ValueError(f"{field}: {op} needs {want.__name__} values, got {wrong[0]!r}")
        known = ENUM_VALUES.get(field)
        if known is not None and op not in ("prefix", "not_prefix"):
            unknown = [a for a in args if a not in known]
            if unknown:
                raise ValueError(f"{field}: {unknown[0]!r} is not one of {sorted(known)}")


class Condition(RootModel[dict[F, Test]], Generic[F]):
    """Every entry must hold; an empty condition holds for everything."""

    model_config = {"frozen": True}

    @model_validator(mode="after")
    def _ops_fit_fields(self) -> "Condition[F]":
        _check_ops(self.root)
        return self

    def holds(self, record: Mapping[str, Value]) -> bool:
        return all(test.holds(record[field]) for field, test in self.root.items())


NeedCondition = Condition[NeedField]
ResourceCondition = Condition[ResourceField]
