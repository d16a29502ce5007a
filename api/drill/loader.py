"""Read a scenario file: YAML → JSON Schema → model → checks against its map and profile.

Whatever is wrong, the caller gets one :class:`ScenarioError` whose message is ``file:line: what is wrong``,
and nothing has run. The map (an OSM extract is read from beside the scenario file) and the profile are
loaded here too, so a drill that starts has everything it needs.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from pydantic import ValidationError

from api.cap.read import CapProblem, read_alert
from api.errors import dotted
from api.profiles import find_profile
from engine.drill import Scenario, check
from engine.drill.scenario import Problem, Profiles, WarningArrives, form
from engine.matching.document import Travel
from engine.rules import Profile, ProfileError
from engine.rules.loader import _document_path, _line_of, parse_yaml
from engine.travel import RoadGraph

SCHEMA_ID = "https://pingzhan.example/scenario.schema.json"


class ScenarioError(ValueError):
    """A scenario that cannot run; the message is one line naming the file and the line."""


@dataclass(frozen=True)
class Loaded:
    path: Path
    scenario: Scenario
    # The first community's profile (a community on its own: its profile); ``profiles`` holds each one's.
    profile: Profile
    graph: RoadGraph
    osm_data: bytes | None
    profiles: Profiles

    def maps(self, spec: Travel) -> RoadGraph:
        """The coordinator's map loader: this scenario's map, its OSM bytes already read."""
        return spec.road_graph(self.osm_data)


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, generated from the model (``scenarios/scenario.schema.json``)."""
    schema = Scenario.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = scenario_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def load_scenario(path: Path) -> Loaded:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    source = str(path)
    root, data = _parse(text, source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, data, root, source)) from None
    # The published schema accepts exactly what the model does; check it too, so the two cannot drift.
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        where = _where(root, list(error.absolute_path), source)
        raise ScenarioError(f"{where}: {'.'.join(map(str, error.absolute_path))}: {error.message}")
    _raise_first(form(scenario), root, source)
    scenario = _warnings(scenario, path, root, source)
    profiles = _profiles(scenario, path, root, source)
    graph, osm_data = _map(scenario, path, root, source)
    _raise_first(check(scenario, graph, profiles), root, source)
    return Loaded(path, scenario, profiles.first, graph, osm_data, profiles)


def _warnings(scenario: Scenario, path: Path, root: yaml.Node | None, source: str) -> Scenario:
    """Each warning event's CAP alert, read from its file beside the scenario (as the live service reads one,
    at the drill's own time) and marked as an exercise: a drill's warning starts an exercise incident."""
    timeline = list(scenario.timeline)
    for i, event in enumerate(timeline):
        if not isinstance(event, WarningArrives) or event.warning is not None:
            continue
        where = f"{_where(root, ['timeline', i, 'cap'], source)}: timeline[{i}].cap"
        file = path.parent / event.cap
        try:
            alert = read_alert(file.read_bytes(), scenario.at(event.at))
        except OSError as exc:
            raise ScenarioError(f"{where}: cannot read {event.cap!r}: {exc.strerror}") from None
        except CapProblem as exc:
            raise ScenarioError(f"{where}: {event.cap}: {exc}") from None
        if alert.warning is None:
            raise ScenarioError(
                f"{where}: {event.cap}: a {alert.msg_type.value} starts nothing; give an Alert"
            )
        timeline[i] = event.model_copy(
            update={"warning": alert.warning.model_copy(update={"exercise": True})}
        )
    return scenario.model_copy(update={"timeline": tuple(timeline)})


def _raise_first(problems: list[Problem], root: yaml.Node | None, source: str) -> None:
    if problems:
        first = problems[0]
        where = _where(root, list(first.path), source)
        field = dotted(first.path)
        raise ScenarioError(f"{where}: {field + ': ' if field else ''}{first.message}")


def _parse(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    root, data = parse_yaml(text, source, ScenarioError)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}:1: a scenario is a mapping with name, community, map, settings, organisations, "
            "resources and timeline"
        )
    return root, data


def _describe(exc: ValidationError, data: dict[str, Any], root: yaml.Node | None, source: str) -> str:
    first = exc.errors()[0]
    loc = [part for part in first["loc"] if part != "[key]"]
    path = _document_path(loc, data)
    where = _where(root, path, source)
    missing = [str(loc[-1])] if first["type"] == "missing" and loc and isinstance(loc[-1], str) else []
    tag = ["event" if "timeline" in path else "expect"] if first["type"].startswith("union_tag") else []
    field = dotted((*path, *missing, *tag))
    message = first["msg"].removeprefix("Value error, ")
    got = (
        f" (got {first['input']!r})"
        if first["type"] != "missing" and path and not _is_node(first["input"])
        else ""
    )
    return f"{where}: {field + ': ' if field else ''}{message}{got}"


def _is_node(value: object) -> bool:
    return isinstance(value, dict | list)


def _where(root: yaml.Node | None, path: list[Any], source: str) -> str:
    line = _line_of(root, path)
    return f"{source}:{line}" if line else source


def _profiles(scenario: Scenario, path: Path, root: yaml.Node | None, source: str) -> Profiles:
    """Each community's profile, and the street's (a name read once however many use it)."""
    read: dict[str, Profile] = {}
    communities = {}
    for i, member in enumerate(scenario.members()):
        where = ["community"] if scenario.community is not None else ["communities", i]
        communities[member.id] = _profile(member.profile, read, path, root, source, [*where, "profile"])
    street = None
    if scenario.street is not None and scenario.street.profile is not None:
        street = _profile(scenario.street.profile, read, path, root, source, ["street", "profile"])
    return Profiles(communities, street)


def _profile(
    name: str, read: dict[str, Profile], path: Path, root: yaml.Node | None, source: str, at: list[Any]
) -> Profile:
    if name in read:
        return read[name]
    beside = path.parent / name
    try:
        profile = find_profile(str(beside) if name.endswith((".yaml", ".yml")) else name)
    except ProfileError as exc:
        where = _where(root, at, source)
        message = str(exc)
        # A bundled name gets the list of known names; a file's own error already names its file and line.
        raise ScenarioError(
            message if name.endswith((".yaml", ".yml")) else f"{where}: {dotted(at)}: {message}"
        ) from None
    read[name] = profile
    return profile


def _map(
    scenario: Scenario, path: Path, root: yaml.Node | None, source: str
) -> tuple[RoadGraph, bytes | None]:
    osm_data = None
    if scenario.map.osm is not None:
        osm_path = path.parent / scenario.map.osm.path
        try:
            osm_data = osm_path.read_bytes()
        except OSError as exc:
            where = _where(root, ["map", "osm", "path"], source)
            raise ScenarioError(f"{where}: map.osm.path: cannot read {osm_path}: {exc.strerror}") from None
    try:
        return scenario.map.road_graph(osm_data), osm_data
    except ValueError as exc:
        raise ScenarioError(f"{_where(root, ['map'], source)}: map: {exc}") from None


def schema_text() -> str:
    return json.dumps(scenario_schema(), ensure_ascii=False, indent=2) + "\n"
