"""Test sizes: heavy correctness tests run scaled down by default, at full size when asked.

``COMPLIANCE_BOT_FULL_SIZE=1 uv run pytest -m slow`` runs them at the size the issue named.
"""

from __future__ import annotations

import os

__all__ = ["full_size"]


def full_size(default: int, full: int) -> int:
    """``full`` when COMPLIANCE_BOT_FULL_SIZE is set to 1/true/yes, else ``default``."""
    wanted = os.environ.get("COMPLIANCE_BOT_FULL_SIZE", "").lower() in ("1", "true", "yes")
    return full if wanted else default
