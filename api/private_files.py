"""Files that hold secrets (the database with its token hashes and residents' data, the demo tokens in plain
text): readable and writable by the service's own user only, whatever the process umask says."""

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Make the folder when missing, closed to other users; a folder the operator made keeps its mode."""
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=DIR_MODE, exist_ok=True)


def private_file(path: Path) -> None:
    """Create the file empty when missing; either way leave it mode 600 (a file made by an older version,
    under a looser umask, is tightened too)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file that is mode 600 before the first byte is in it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(fd, FILE_MODE)
        out.write(text)
