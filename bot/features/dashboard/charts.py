"""The dashboard's pure helpers: page numbers, the pager, whole percents and chart geometry."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["PAGE_SIZE", "Pager", "gauge", "page_number", "percent", "segments"]

PAGE_SIZE = 50


def page_number(value: str | None) -> int:
    """A 1-based page number from the query string (bad values mean page 1)."""
    return int(value) if value and value.isdigit() and int(value) > 0 else 1


@dataclass(frozen=True)
class Pager:
    """Which slice of a long list a page shows."""

    page: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max(1, math.ceil(self.total / self.size))

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (min(self.page, self.pages) - 1) * self.size

    @property
    def first(self) -> int:
        """1-based number of the first row shown."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        """1-based number of the last row shown."""
        return min(self.offset + self.size, self.total)


def percent(rate: float) -> int:
    """Whole percent rounded down (94.9% never reads as a target-meeting 95%)."""
    return math.floor(rate * 100 + 1e-9)


def gauge(rate: float, target: float) -> dict[str, Any]:
    """Geometry of a ring gauge (circumference 100 at r=15.9155) with a target tick."""
    angle = math.radians(target * 360 - 90)
    inner, outer = 12.0, 20.0
    return {
        "dash": f"{max(min(rate, 1.0), 0.0) * 100:.2f} 100",
        "x1": f"{18 + inner * math.cos(angle):.2f}",
        "y1": f"{18 + inner * math.sin(angle):.2f}",
        "x2": f"{18 + outer * math.cos(angle):.2f}",
        "y2": f"{18 + outer * math.sin(angle):.2f}",
        "state": "ok" if rate >= target else ("warn" if rate >= target - 0.15 else "bad"),
    }


def segments(parts: Iterable[tuple[str, int]], total: int) -> list[dict[str, Any]]:
    """Stacked-bar segments (x and width in percent of ``total``) for non-zero parts."""
    out, x = [], 0.0
    for css, n in parts:
        if n <= 0 or total <= 0:
            continue
        width = 100.0 * n / total
        out.append({"css": css, "x": f"{x:.3f}", "width": f"{width:.3f}", "n": n})
        x += width
    return out
