"""One clear line for a bad input, naming the place: file, field path (or line) and the value given."""

from collections.abc import Collection, Iterable

from pydantic import ValidationError


class InputError(Exception):
    """Bad input: reported as one line on stderr, exit code 2."""


def dotted(parts: Iterable[object]) -> str:
    """A field's path as people read it: ``notifiers[0].to.cadres``."""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def describe_validation(source: str, exc: ValidationError, tags: Collection[str] = ()) -> str:
    """The first error, with the value given. ``tags``: the names pydantic puts in a path for the member of a
    tagged union it tried (``kind: wecom``), which are no field of the file."""
    first = exc.errors()[0]
    path = dotted(part for part in first["loc"] if part not in tags)
    message = first["msg"].removeprefix("Value error, ")
    got = "" if first["type"] == "missing" else f" (got {first['input']!r})"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{source}: {path or '(document)'}: {message}{got}{more}"
