"""One clear line for a bad input, naming the place: file, field path (or line) and the value given."""

from pydantic import ValidationError


class InputError(Exception):
    """Bad input: reported as one line on stderr, exit code 2."""


def describe_validation(source: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    path = ""
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    message = first["msg"].removeprefix("Value error, ")
    got = "" if first["type"] == "missing" else f" (got {first['input']!r})"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{source}: {path or '(document)'}: {message}{got}{more}"
