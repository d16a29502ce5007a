"""Load a profile from YAML text; a bad profile fails here, naming the file, the line, the rule and the reason."""

from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from engine.rules.profile import Profile


class ProfileError(ValueError):
    """A profile that does not parse or does not validate."""


# libyaml's parser when PyYAML has it: a long scenario file reads several times faster.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """A SafeLoader that refuses a key written twice in one mapping (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, source: str, error: type[ValueError]) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data of a YAML text; duplicate keys refused. A syntax error
    raises ``error`` as ``source:line: not valid YAML: ...``."""
    loader = _UniqueKeyLoader(text)
    try:
        # Parsed once: the data is made from the same node tree that gives the line numbers.
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{source}{line}: not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    return root, data


def load_profile(text: str, source: str) -> Profile:
    """Parse ``text`` (read from ``source``, which only names it in errors) into a :class:`Profile`."""
    root, data = parse_yaml(text, source, ProfileError)
    if not isinstance(data, dict):
        raise ProfileError(f"{source}:1: a profile is a mapping with name, title_zh, title_en and rules")
    duplicate = _duplicate_rule_name(data, root, source)
    if duplicate:
        raise ProfileError(duplicate)
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
    # A missing key is not in the document: name it from the error's location.
    missing = [str(loc[-1])] if first["type"] == "missing" and loc and isinstance(loc[-1], str) else []
    tag = ["kind"] if first["type"] in ("union_tag_invalid", "union_tag_not_found") else []
    field = ".".join(str(p) for p in [*path, *missing, *tag])
    message = first["msg"].removeprefix("Value error, ")
    value = f" (got {first['input']!r})" if first["type"] != "missing" and path else ""
    return f"{where}:{rule} {field + ': ' if field else ''}{message}{value}"


def _duplicate_rule_name(data: dict[str, Any], root: yaml.Node | None, source: str) -> str | None:
    rules = data.get("rules")
    if not isinstance(rules, list):
        return None
    first_use: dict[str, int] = {}
    for i, rule in enumerate(rules):
        name = rule.get("name") if isinstance(rule, dict) else None
        if not isinstance(name, str):
            continue
        if name in first_use:
            line = _line_of(root, ["rules", i, "name"])
            earlier = _line_of(root, ["rules", first_use[name], "name"])
            return f"{source}:{line}: rule {name!r}: name: already used by the rule at line {earlier}"
        first_use[name] = i
    return None


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
