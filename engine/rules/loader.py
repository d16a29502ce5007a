"""Load a profile from YAML text; a bad profile fails here, naming the file, the line, the rule and the reason."""

from typing import Any

import yaml
from pydantic import ValidationError

from engine.rules.profile import Profile


class ProfileError(ValueError):
    """A profile that does not parse or does not validate."""


def load_profile(text: str, source: str) -> Profile:
    """Parse ``text`` (read from ``source``, which only names it in errors) into a :class:`Profile`."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(f"{source}{line}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{source}:1: a profile is a mapping with name, title_zh, title_en and rules")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(_describe(exc, data, root, source)) from None


def _describe(exc: ValidationError, data: dict[str, Any], root: yaml.Node | None, source: str) -> str:
    first = exc.errors()[0]
    loc = [part for part in first["loc"] if part != "[key]"]
    # A tagged union puts the rule's kind into the location; it is not a key of the document.
    path = _document_path(loc, data)
    line = _line_of(root, path)
    where = f"{source}:{line}" if line else source
    rule = ""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rules = data.get("rules") or []
        name = rules[path[1]].get("name") if isinstance(rules[path[1]], dict) else None
        rule = f" rule {name!r}:" if name else f" rule #{path[1] + 1}:"
        path = path[2:]
    field = ".".join(str(p) for p in path) or (
        "kind" if first["type"] == "union_tag_invalid" else "(profile)"
    )
    message = first["msg"].removeprefix("Value error, ")
    value = f" (got {first['input']!r})" if first["type"] != "missing" and path else ""
    return f"{where}:{rule} {field}: {message}{value}"


def _document_path(loc: list[Any], data: Any) -> list[Any]:
    path: list[Any] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
            path.append(part)
    return path


def _line_of(node: yaml.Node | None, path: list[Any]) -> int | None:
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(part)]
            if not match:
                break
            key, node = match[0]
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
