"""Where the files people attach are kept, and their removal when what referenced them was not
stored (the checks before are ``bot.core.files.uploads``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["remove_files", "stored_path"]


def stored_path(uploads_dir: Path, area: str, school_id: str, stored_as: str) -> Path:
    """Where a stored file of ``area`` ("reports", "decisions") lives: under the uploads
    folder, never the web root; only the file's own name of ``stored_as`` is used."""
    return uploads_dir / area / school_id / Path(stored_as).name


def remove_files(paths: Iterable[Path]) -> None:
    """Delete stored files (when the transaction that referenced them did not commit)."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
