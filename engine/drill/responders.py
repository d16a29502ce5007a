"""Simulated responders: how an organisation answers a dispatch, drawn from the seed and nothing else.

Each draw is keyed by the seed, the organisation, the need and the resource, never by the order of events
or by dispatch ids, so the engine's run and the baseline's run meet the same people behaving the same way
when they send the same resource to the same need (common random numbers): a comparison measures the
dispatch method, not luck.
"""

import random
from dataclasses import dataclass
from enum import StrEnum
from hashlib import blake2b

from engine.drill.scenario import OrganisationDeclines, OrganisationSilent, Responder, Scenario
from engine.model.ids import NeedId, OrganisationId, ResourceId


class Answer(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    DECLINE = "decline"
    SILENT = "silent"


@dataclass(frozen=True)
class Response:
    answer: Answer
    # Seconds from being notified to answering, then from answering to setting off.
    answer_after_s: int
    setoff_after_s: int
    # Why, when a scenario event forced the answer.
    forced_by: str | None = None


def draw(
    seed: int,
    scenario: Scenario,
    organisation: OrganisationId,
    need: NeedId,
    resource: ResourceId,
    attempt: int,
    notified_at_s: float,
) -> Response:
    """How ``organisation`` answers the ``attempt``-th dispatch of ``resource`` to ``need``."""
    rng = random.Random(_key(seed, organisation, need, resource, attempt))
    behaviour: Responder = scenario.responder(organisation)
    answer_after = rng.randint(*behaviour.ack_s)
    setoff_after = rng.randint(*behaviour.setoff_s)
    roll = rng.random()
    forced = _forced(scenario, organisation, notified_at_s)
    if forced is not None:
        return Response(forced[0], answer_after, setoff_after, forced_by=forced[1])
    if roll < behaviour.decline:
        answer = Answer.DECLINE
    elif roll < behaviour.decline + behaviour.silent:
        answer = Answer.SILENT
    else:
        answer = Answer.ACKNOWLEDGE
    return Response(answer, answer_after, setoff_after)


def _forced(scenario: Scenario, organisation: OrganisationId, at_s: float) -> tuple[Answer, str] | None:
    """The scenario's declines/silent window covering ``at_s``, the latest one written winning."""
    found: tuple[Answer, str] | None = None
    for i, event in enumerate(scenario.timeline):
        if (
            not isinstance(event, OrganisationDeclines | OrganisationSilent)
            or event.organisation != organisation
        ):
            continue
        until = event.at + event.for_s if event.for_s is not None else float("inf")
        if event.at <= at_s < until:
            answer = Answer.DECLINE if isinstance(event, OrganisationDeclines) else Answer.SILENT
            found = (answer, f"timeline[{i}]")
    return found


def _key(seed: int, *parts: object) -> int:
    digest = blake2b(repr((seed, *parts)).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big")
