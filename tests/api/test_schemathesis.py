"""Schemathesis against the real server, from the OpenAPI document it serves: every operation, with data that fits
its schema and data that does not, as a cadre, as street staff and with no token, every check on.

The server must answer every case without a 5xx, with a status its document lists for the operation, in the
documented media type and shape. Bounded (a few cases per operation and principal, a fixed seed) to stay
within a minute.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from api.auth import Role
from tests.api.server import UNTHROTTLED, Server, api_for, build_world

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
            # A sign-in code that fits the schema is still one nobody made (410, gone or never there).
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "410", "422", "429"]
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
    """A server of its own: the cases change what they are allowed to, and no other module should see it.
    Unthrottled: the checks send hundreds of requests without a token on purpose, and past the limit on failed
    authentications the answer is a 429 where the check wants to see the 401."""
    server = Server(Path(tmp_path_factory.mktemp("schemathesis")), extra=UNTHROTTLED).start()
    build_world(server)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """With the default limit on failed authentications: with no token, most answers are the 429 past it."""
    server = Server(Path(tmp_path_factory.mktemp("schemathesis-throttled"))).start()
    yield server
    server.stop()


# Who sends the cases, to which server, and statuses some of the answers must have: the cases reached the
# routes' work (2xx), or with no token the limit on failed authentications (429).
PRINCIPALS = {
    "cadre": ("fuzzed", range(200, 300)),
    "street": ("fuzzed", range(200, 300)),
    "anonymous": ("throttled", range(429, 430)),
}


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_the_server_does_what_its_openapi_document_says(
    request: pytest.FixtureRequest, principal: str
) -> None:
    where, expected = PRINCIPALS[principal]
    server: Server = request.getfixturevalue(where)
    if principal == "cadre":
        token = api_for(server, Role.CADRE).token
    elif principal == "street":
        token = server.token(Role.STREET, street="s1")
    else:
        token = ""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=CONFIG)
    failures: dict[str, str] = {}
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    # Signing out revokes the token the cases are sent with: it goes last, so every other operation is tried.
    operations.sort(key=lambda operation: operation.path == "/api/v1/signout")
    for operation in operations:
        known = {name: KNOWN[name] for name in re.findall(r"{(\w+)}", operation.path) if name in KNOWN}
        runs = (
            (GenerationMode.POSITIVE, EXAMPLES, operation.as_strategy(path_parameters=known)),
            (GenerationMode.NEGATIVE, 1, operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)),
        )
        for mode, examples, strategy in runs:

            @hypothesis.settings(SETTINGS, max_examples=examples)
            @hypothesis.given(case=strategy)
            def check(case: schemathesis.Case[Any]) -> None:
                response = case.call_and_validate(base_url=server.url, headers=headers, timeout=30)
                statuses.append(response.status_code)

            try:
                check()
            except Unsatisfiable:
                pass  # nothing to get wrong: an operation without parameters or body has no negative case
            except (Exception, BaseExceptionGroup) as failure:  # every failure reported, not only the first
                failures[f"{operation.label} ({mode.value})"] = str(failure)[:2000]
    assert failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
    assert len(statuses) >= 2 * len(operations), len(statuses)
    assert any(status in expected for status in statuses), sorted(set(statuses))
