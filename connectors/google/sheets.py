"""Google list mirror: tracked-list rows upserted into one tab of a Google Sheet by Reference."""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from typing import Any

from bot.core.ports import ConnectorError, PermanentError
from connectors.google.client import GoogleApi, GoogleCallError
from connectors.google.errors import connector_error

__all__ = ["REFERENCE_COLUMN", "SheetsListMirror"]

REFERENCE_COLUMN = "Reference"


def _column(number: int) -> str:
    """1 -> A, 27 -> AA (A1 notation)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class SheetsListMirror:
    """Mirrors tracked-list rows into one tab of a Google Sheet, keyed by a "Reference" column.

    Values are written RAW (so text such as ``=HYPERLINK(...)`` stays text). Columns are added to
    the header row when a field is new; cells of columns the bot does not own are left alone.
    ``upsert`` is idempotent (it looks the row up first), so retrying after any failure is safe.
    """

    def __init__(self, api: GoogleApi, spreadsheet_id: str, sheet_name: str = "Reports") -> None:
        self._api = api
        self._spreadsheet_id = spreadsheet_id
        self._sheet = sheet_name
        self._lock = threading.Lock()

    @functools.cached_property
    def _cells(self) -> Any:
        # built once, on first use: googleapiclient renders every method's docstring from the
        # (large) Sheets schemas when it builds a resource, about a quarter of a second
        return self._api.resource.spreadsheets().values()

    @property
    def _tab(self) -> str:
        return "'" + self._sheet.replace("'", "''") + "'"

    def upsert(self, reference: str, fields: Mapping[str, str]) -> None:
        """Update the row whose Reference is ``reference``, else append one."""
        with self._lock:
            header = self._header()
            wanted = [REFERENCE_COLUMN, *(f for f in fields if f != REFERENCE_COLUMN)]
            missing = [name for name in wanted if name not in header]
            if missing:
                header = [*header, *missing]
                self._write(
                    f"{self._tab}!A1:{_column(len(header))}1", [list[str | None](header)], "header"
                )
            key = header.index(REFERENCE_COLUMN)
            values: list[str | None] = [None] * len(header)
            values[key] = reference
            for name, value in fields.items():
                if name != REFERENCE_COLUMN:
                    values[header.index(name)] = str(value)
            row = self._find(reference, key)
            if row is None:
                self._append([v if v is not None else "" for v in values])
            else:
                # None cells are skipped by the Sheets API: other people's columns survive
                self._write(f"{self._tab}!A{row}:{_column(len(header))}{row}", [values], "row")

    def rows(self) -> dict[str, dict[str, str]]:
        """Every row of the tab by its Reference cell, keyed by the header row's names."""
        with self._lock:
            header, *body = self._values(self._tab) or [[]]
        names = [str(c) for c in header]
        if REFERENCE_COLUMN not in names:
            return {}
        key = names.index(REFERENCE_COLUMN)
        found: dict[str, dict[str, str]] = {}
        for row in body:
            cells = [str(c) for c in row] + [""] * (len(names) - len(row))
            if cells[key]:
                found[cells[key]] = dict(zip(names, cells, strict=False))
        return found

    def _values(self, range_: str) -> list[list[Any]]:
        answer = self._call(self._cells.get(spreadsheetId=self._spreadsheet_id, range=range_))
        rows = answer.get("values", []) if isinstance(answer, dict) else []
        return [list(r) for r in rows if isinstance(r, list)]

    def _header(self) -> list[str]:
        rows = self._values(f"{self._tab}!1:1")
        return [str(c) for c in rows[0]] if rows else []

    def _find(self, reference: str, key: int) -> int | None:
        letter = _column(key + 1)
        rows = self._values(f"{self._tab}!{letter}:{letter}")
        found = (n for n, row in enumerate(rows[1:], start=2) if row and str(row[0]) == reference)
        return next(found, None)

    def _write(self, range_: str, rows: list[list[str | None]], what: str) -> None:
        self._call(
            self._cells.update(
                spreadsheetId=self._spreadsheet_id,
                range=range_,
                valueInputOption="RAW",
                body={"range": range_, "majorDimension": "ROWS", "values": rows},
            ),
            f"Sheets update ({what})",
        )

    def _append(self, row: list[str]) -> None:
        self._call(
            self._cells.append(
                spreadsheetId=self._spreadsheet_id,
                range=f"{self._tab}!A1",
                valueInputOption="RAW",
                insertDataOption="INSERT_ROWS",
                body={"majorDimension": "ROWS", "values": [row]},
            ),
            "Sheets append",
        )

    def _call(self, request: Any, what: str = "Sheets values.get") -> Any:
        """Run ``request`` once; a failure as the outbox's error."""
        try:
            return self._api.call(request)
        except GoogleCallError as exc:
            raise self._error(exc, what) from exc

    def _error(self, exc: GoogleCallError, what: str) -> ConnectorError:
        if exc.status == 400 and "Unable to parse range" in str(exc):
            return PermanentError(
                f"{what}: no tab named {self._sheet!r} in the spreadsheet "
                "(create it or set COMPLIANCE_BOT_GOOGLE__SHEET_NAME)"
            )
        if exc.status in (403, 404):
            return PermanentError(
                f"{what}: {exc} (share the sheet with the service account as Editor)"
            )
        # upsert re-reads before writing, so even an unknown outcome is safe to retry
        return connector_error(exc, what, write=False)
