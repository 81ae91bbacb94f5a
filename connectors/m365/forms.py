"""Microsoft 365 forms: Microsoft Forms responses read from the form's synced Excel workbook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from connectors.base import FormResponse, PermanentError
from connectors.m365.client import GraphClient
from connectors.m365.errors import ENV, GraphCallError, read_error

__all__ = [
    "EXCEL_EPOCH",
    "FORM_SYSTEM_COLUMNS",
    "LONDON",
    "WorkbookFormSource",
    "excel_serial_to_datetime",
]

LONDON = ZoneInfo("Europe/London")
EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 0; absorbs Excel's 1900 leap-year bug
FORM_SYSTEM_COLUMNS = frozenset(
    {"id", "start time", "completion time", "email", "name", "last modified time"}
)


def excel_serial_to_datetime(value: object, tz: ZoneInfo = LONDON) -> datetime:
    """An Excel date cell (serial days since 1899-12-30, or text) as an aware UTC datetime.

    Serials carry no zone: they are wall-clock times in ``tz``. Float noise is rounded to the
    nearest second (46328.39583333 is 09:30:00, not 09:29:59.99).
    """
    if isinstance(value, bool):
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, int | float):
        local = EXCEL_EPOCH + timedelta(seconds=round(float(value) * 86_400))
    else:
        text = str(value).strip()
        parsed: datetime | None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
            for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            if parsed is None:
                try:
                    return excel_serial_to_datetime(float(text), tz)
                except ValueError:
                    raise ValueError(f"not a date: {text!r}") from None
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
        local = parsed
    return local.replace(tzinfo=tz).astimezone(UTC)


def _response_id(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class WorkbookFormSource:
    """Microsoft Forms responses read from the form's synced Excel workbook table.

    Forms has no responses API; "Open results in Excel" keeps a table (``Table1``) with the
    columns ID, Start time, Completion time, Email, Name and one per question. ``response_id``
    is the ID cell, ``submitted_at`` the Completion time (else Start time). Rows with the same ID
    count once.

    Args:
        client: the Graph client.
        drive_id, item_id: the workbook's drive and item ids.
        table: the table name or id.
        tz: the zone the workbook's times are written in (Europe/London by default).
    """

    client: GraphClient
    drive_id: str
    item_id: str
    table: str = "Table1"
    tz: ZoneInfo = LONDON

    def responses(self, since: datetime | None = None) -> Sequence[FormResponse]:
        """Responses after ``since`` (all when None), oldest first."""
        try:
            header = self.client.table_header(self.drive_id, self.item_id, self.table)
            rows = self.client.table_rows(self.drive_id, self.item_id, self.table)
        except GraphCallError as exc:
            error = read_error(exc, "Sites.Selected on the site holding the workbook")
            if exc.status == 404:
                error = PermanentError(
                    f"{exc} — check {ENV}FORMS_DRIVE_ID, FORMS_ITEM_ID and FORMS_TABLE"
                )
            raise error from exc
        where = {h.strip().casefold(): i for i, h in enumerate(header)}
        if "id" not in where:
            raise PermanentError(f"workbook table {self.table!r} has no 'ID' column")
        time_col = where.get("completion time", where.get("start time"))
        if time_col is None:
            raise PermanentError(f"workbook table {self.table!r} has no 'Completion time' column")
        email_col = where.get("email")
        questions = [
            (h.strip(), i)
            for i, h in enumerate(header)
            if h.strip().casefold() not in FORM_SYSTEM_COLUMNS
        ]
        found: dict[str, FormResponse] = {}
        for number, row in enumerate(rows, start=2):
            cells = list(row) + [None] * (len(header) - len(row))
            if cells[where["id"]] in (None, ""):
                continue
            try:
                submitted = excel_serial_to_datetime(cells[time_col], self.tz)
            except ValueError as exc:
                raise PermanentError(f"workbook row {number}: {exc}") from exc
            email = str(cells[email_col]).strip() if email_col is not None else ""
            response = FormResponse(
                response_id=_response_id(cells[where["id"]]),
                submitted_at=submitted,
                answers={q: "" if cells[i] is None else str(cells[i]) for q, i in questions},
                respondent_email=email if "@" in email else None,
            )
            found.setdefault(response.response_id, response)
        chosen = [r for r in found.values() if since is None or r.submitted_at > since]
        return sorted(chosen, key=lambda r: (r.submitted_at, r.response_id))
