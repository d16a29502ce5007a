"""Schemathesis against the real server, from the OpenAPI document it serves: every operation, with data that fits
its schema and data that does not, as a cadre, as street staff and with no token, every check on.

The server must answer every case without a 5xx, with a status its document lists for the operation, in the
documented media type and shape. Bounded (a few cases per operation and principal, a fixed seed) to stay
within a minute.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from api.auth import Role
from tests.api.server import Server, api_for, build_world

# Cases per operation and principal: EXAMPLES whose path names what the world holds (so that they reach the
# routes' own checks and writes, not only "not found"), one with data that does not fit the schema.
EXAMPLES = 2
# The world of tests.api.server.build_world, by path parameter.
KNOWN = {"community": "c1", "street": "s1", "organisation": "c1-boats", "resource": "c1-boat"}
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            # A body that fits the schema may still not fit the community: a place not on its map, a resource
            # of another capability. The server says so with a 422 naming the field; that is not a defect.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            },
        }
    }
)
SETTINGS = hypothesis.settings(
    phases=[Phase.generate],
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own: the cases change what they are allowed to, and no other module should see it."""
    server = Server(Path(tmp_path_factory.mktemp("schemathesis"))).start()
    build_world(server)
    yield server
    server.stop()


@pytest.mark.parametrize("principal", ["cadre", "street", "anonymous"])
def test_the_server_does_what_its_openapi_document_says(fuzzed: Server, principal: str) -> None:
    tokens = {
        "cadre": lambda: api_for(fuzzed, Role.CADRE).token,
        "street": lambda: fuzzed.token(Role.STREET, street="s1"),
        "anonymous": lambda: None,
    }
    token = tokens[principal]()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    schema = schemathesis.openapi.from_url(f"{fuzzed.url}/openapi.json", config=CONFIG)
    failures: dict[str, str] = {}
    cases = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        known = {name: KNOWN[name] for name in re.findall(r"{(\w+)}", operation.path) if name in KNOWN}
        runs = (
            (GenerationMode.POSITIVE, EXAMPLES, operation.as_strategy(path_parameters=known)),
            (GenerationMode.NEGATIVE, 1, operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)),
        )
        for mode, examples, strategy in runs:

            @hypothesis.settings(SETTINGS, max_examples=examples)
            @hypothesis.given(case=strategy)
            def check(case: schemathesis.Case) -> None:
                nonlocal cases
                cases += 1
                case.call_and_validate(base_url=fuzzed.url, headers=headers, timeout=30)

            try:
                check()
            except Unsatisfiable:
                pass  # nothing to get wrong: an operation without parameters or body has no negative case
            except (Exception, BaseExceptionGroup) as failure:  # every failure reported, not only the first
                failures[f"{operation.label} ({mode.value})"] = str(failure)[:2000]
    assert failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
    assert cases >= 2 * len(operations), cases
