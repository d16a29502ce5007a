"""A problem that does not hold together fails at build time, naming the place."""

import pytest
from pydantic import ValidationError

from engine.matching import Pin
from engine.model import Need, Resource
from tests.matching.helpers import need, org, problem, resource


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda: problem([need("n1"), need("n1")], [resource("r1")]),
            "needs[n1].id: the id 'n1' is used twice",
        ),
        (
            lambda: problem([need("n1", location="zz")], [resource("r1")]),
            "needs[n1].location: 'zz' is not on the map",
        ),
        (lambda: problem([need("n1")], [resource("r1", organisation="o9")]), "unknown organisation 'o9'"),
        (
            lambda: problem([need("n1")], [resource("r1")], pins=[Pin(need="n9", resource="r1", quantity=1)]),
            "pinned[0].need: unknown need 'n9'",
        ),
        (
            lambda: problem([need("n1")], [resource("r1")], pins=[Pin(need="n1", resource="r9", quantity=1)]),
            "pinned[0].resource: unknown resource 'r9'",
        ),
        (
            lambda: problem(
                [need("n1", quantity=5)],
                [resource("r1", quantity=1)],
                pins=[Pin(need="n1", resource="r1", quantity=2)],
            ),
            "pinned[0].quantity: pins take 2 units of 'r1', which has 1",
        ),
        (
            lambda: problem(
                [need("n1")], [resource("r1", quantity=5)], pins=[Pin(need="n1", resource="r1", quantity=2)]
            ),
            "pins give 2 units of 'supply.water' to 'n1', which needs 1",
        ),
        (
            lambda: problem(
                [need("n1")],
                [resource("r1", "rescue.boat")],
                pins=[Pin(need="n1", resource="r1", quantity=1)],
            ),
            "'r1' offers 'rescue.boat', but the pin is for 'supply.water'",
        ),
        (
            lambda: problem(
                [need("n1")],
                [resource("r1")],
                pins=[Pin(need="n1", resource="r1", quantity=1, part="rescue.crew")],
            ),
            "need 'n1' has no team part 'rescue.crew'",
        ),
    ],
)
def test_build_errors_name_the_place(build, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=None) as info:
        build()
    assert message in str(info.value)


@pytest.mark.parametrize(
    "model, fields, field",
    [
        (Need, {"id": "n", "capability": "x", "quantity": -1, "location": "a", "priority": 3}, "quantity"),
        (Need, {"id": "n", "capability": "x", "quantity": 1, "location": "a", "priority": 6}, "priority"),
        (
            Need,
            {"id": "n", "capability": "Bad Name", "quantity": 1, "location": "a", "priority": 3},
            "capability",
        ),
        (
            Need,
            {"id": "n", "capability": "x", "quantity": 1, "location": "a", "priority": 3, "colour": 1},
            "colour",
        ),
        (
            Need,
            {
                "id": "n",
                "capability": "x",
                "quantity": 1,
                "location": "a",
                "priority": 3,
                "reported_at": "2026-07-21T08:00:00",
            },
            "reported_at",
        ),
        (
            Resource,
            {"id": "r", "organisation": "o", "capability": "x", "quantity": -2, "location": "a"},
            "quantity",
        ),
        (
            Resource,
            {
                "id": "r",
                "organisation": "o",
                "capability": "x",
                "quantity": 1,
                "location": "a",
                "modes": "sometimes",
            },
            "modes",
        ),
    ],
)
def test_bad_values_raise_value_error_naming_field_and_value(model, fields, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError) as info:
        model.model_validate(fields)
    assert isinstance(info.value, ValidationError)
    assert field in str(info.value)
    assert repr(fields[field]) in str(info.value) or str(fields[field]) in str(info.value)


def test_previous_plan_may_name_needs_since_cancelled() -> None:
    from engine.matching import ProblemBuilder
    from tests.matching.helpers import STREET

    p = (
        ProblemBuilder(STREET)
        .add_needs([need("n1")])
        .add_resources([resource("r1")])
        .add_organisations([org("o1")])
        .keep([Pin(need="gone", resource="r1", quantity=1), Pin(need="n1", resource="r1", quantity=1)])
        .build()
    )
    assert [p_.need for p_ in p.previous] == ["n1"]
