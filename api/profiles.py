"""Governance profiles by name (those shipped with Pingzhan) or by path (a community's own file)."""

import re
from importlib import resources
from pathlib import Path

from engine.rules import Profile, ProfileError, load_profile

_BUNDLED = resources.files("engine.rules") / "profiles"


def bundled_names() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in _BUNDLED.iterdir() if p.name.endswith(".yaml"))


def find_profile(name_or_path: str) -> Profile:
    """A shipped profile by name, or a YAML file by path; unknown names fail with the list of known ones."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProfileError(f"{path}: cannot read: {exc.strerror}") from None
        return load_profile(text, str(path))
    bundled = _BUNDLED / f"{name_or_path}.yaml"
    if not bundled.is_file():
        raise ProfileError(
            f"profile {name_or_path!r}: no such profile; shipped: {', '.join(bundled_names())}"
        )
    return load_profile(bundled.read_text(encoding="utf-8"), f"engine/rules/profiles/{name_or_path}.yaml")


def named_profile(name: str, profile_dir: Path | None = None) -> Profile:
    """A profile by name only, as the service takes it from a request: the operator's folder first, then
    the shipped ones. A name can never reach a file outside those folders."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ProfileError(f"profile {name!r}: a profile name has lower-case letters, digits and underscores")
    if profile_dir is not None and (profile_dir / f"{name}.yaml").is_file():
        return find_profile(str(profile_dir / f"{name}.yaml"))
    return find_profile(name)
