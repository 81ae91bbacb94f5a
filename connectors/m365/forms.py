"""Microsoft 365 forms: Microsoft Forms responses that a Power Automate flow copies into a
SharePoint list, read app-only under ``Sites.Selected``.

Microsoft Forms has no responses API, and the workbook calls Forms' Excel file would need
("List rows", ``headerRowRange``) are documented *Application: Not supported*. What works
app-only is a flow made of standard connectors only — *When a new response is submitted* >
*Get response details* > SharePoint *Create item* — writing one item per response into a list
in the granted site; the bot reads that list (``GET /sites/{s}/lists/{l}/items``, supported
with ``Sites.Selected``) and counts each response id (the item's Title) once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.core.ports import FormResponse, PermanentError, UnreadableResponse
from connectors.m365.client import GraphClient
from connectors.m365.errors import ENV, GraphCallError, read_error
from connectors.m365.records import ListColumn, SharePointList

if TYPE_CHECKING:
    from bot.core.deployment.platform_settings import M365Settings

__all__ = [
    "FORM_LIST_COLUMNS",
    "SUBMISSION_TIME_FORMAT",
    "FormListColumn",
    "ListFormSource",
    "column_problems",
    "ensure_form_list",
    "flow_steps",
    "parse_submission_time",
    "setup_form_list",
]

FORMS_PERMISSION = "Sites.Selected with a 'read' grant on the site holding the form list"


@dataclass(frozen=True)
class FormListColumn:
    """One column of the form list: internal (API) name, the title people see, lines."""

    name: str
    title: str
    multiline: bool = False
    flow_value: str = ""  # what the flow puts in it (the Forms dynamic content)


RESPONSE_ID = "Title"  # every SharePoint list has Title; the flow puts the Response Id in it
SUBMITTED = FormListColumn(
    "SubmittedAt",
    "Submission time",
    flow_value="Submission time, which must read as ISO 8601 with an offset "
    "(e.g. 2026-11-23T09:05:00Z)",
)
RESPONDER = FormListColumn("ResponderEmail", "Responder's email", flow_value="Responder's Email")
# The question columns carry the titles the bot matches answers by (DEFAULT_FORM_QUESTIONS).
FORM_LIST_COLUMNS: tuple[FormListColumn, ...] = (
    SUBMITTED,
    RESPONDER,
    FormListColumn("Category", "Category"),
    FormListColumn("WhatHappened", "What happened", multiline=True),
    FormListColumn("When", "When"),
    FormListColumn("Where", "Where"),
    FormListColumn("WhoWasInvolved", "Who was involved", multiline=True),
    FormListColumn("YourName", "Your name"),
    FormListColumn("YourEmail", "Your email"),
    FormListColumn("AboutHeadteacher", "Is this about the headteacher?"),
    FormListColumn("NudeImages", "Does it involve nude or semi-nude images?"),
    FormListColumn("School", "School"),
)
_QUESTIONS = frozenset(c.name for c in FORM_LIST_COLUMNS) - {SUBMITTED.name, RESPONDER.name}


# What Power Automate writes: utcNow() gives 2026-11-23T09:05:00.0000000Z (seven fractional
# digits, more than datetime.fromisoformat promises to read); any ISO 8601 time with seconds or
# not, a fraction of any length and a "Z" or numeric offset is read. A time without an offset is
# refused: it could be UTC or UK time, an hour apart in summer.
_ISO_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<hm>\d{2}:\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}:?\d{2})"
)
SUBMISSION_TIME_FORMAT = "ISO 8601 with an offset, e.g. 2026-11-23T09:05:00Z"


def parse_submission_time(value: object) -> datetime:
    """The flow's *Submission time* (ISO 8601 with an offset) as an aware UTC datetime.

    Raises ValueError naming the format, never the value (a wrongly mapped column could hold
    what was reported).
    """
    text = str(value or "").strip()
    match = _ISO_TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not a time in the form {SUBMISSION_TIME_FORMAT}")
    zone = match["zone"].upper()
    offset = "+00:00" if zone == "Z" else f"{zone[:3]}:{zone[-2:]}"
    fraction = (match["f"] or "")[:6].ljust(6, "0")
    try:
        parsed = datetime.fromisoformat(
            f"{match['date']}T{match['hm']}:{match['s'] or '00'}.{fraction}{offset}"
        )
    except ValueError:  # 2026-02-30, 25:00...
        raise ValueError(f"not a real date and time ({SUBMISSION_TIME_FORMAT})") from None
    return parsed.astimezone(UTC)


def column_problems(columns: Sequence[ListColumn]) -> list[str]:
    """What is wrong with a form list's columns, one sentence per column (none: all there).

    The bot reads answers by column *internal name* (the ``fields`` of a list item are keyed
    by it); the name people see can be changed freely. A column made by hand in SharePoint
    gets its internal name from the name first typed ("What happened" becomes
    ``What_x0020_happened``), so a hand-made list is checked here, never assumed.
    """
    names = {c.name for c in columns}
    problems = []
    for wanted in FORM_LIST_COLUMNS:
        if wanted.name in names:
            continue
        same = [
            c
            for c in columns
            if c.name.casefold() == wanted.name.casefold()
            or c.display_name.strip().casefold() == wanted.title.casefold()
        ]
        if same:
            problems.append(
                f"the column shown as {same[0].display_name!r} has the internal name "
                f"{same[0].name!r}, but the bot reads {wanted.name!r}"
            )
        else:
            problems.append(f"no column with the internal name {wanted.name!r} ({wanted.title!r})")
    return problems


def flow_steps(site_url: str, list_name: str) -> list[str]:
    """The Power Automate flow, step by step, as a person builds it (standard connectors only)."""
    return [
        "Power Automate > Create > Automated cloud flow, named e.g. 'Form to compliance-bot'.",
        "Trigger: Microsoft Forms 'When a new response is submitted'; Form Id: your form.",
        "Action: Microsoft Forms 'Get response details'; Form Id: the same form; "
        "Response Id: 'Response Id' from the trigger.",
        f"Action: SharePoint 'Create item'; Site Address: {site_url}; List Name: {list_name}.",
        "  Title: 'Response Id' (from Get response details)",
        *(
            f"  {c.title} (internal name {c.name}): "
            + (c.flow_value or f"the answer to your question '{c.title}'")
            for c in FORM_LIST_COLUMNS
        ),
        "Leave a column empty when your form has no such question; 'Category' should be "
        "one of the categories the bot knows (unknown answers count as Other).",
        "Save, submit a test response, and check the item appears in the list; then add a "
        "co-owner to the flow (a flow stops when its only owner leaves).",
    ]


def ensure_form_list(
    client: GraphClient, site_id: str, list_name: str
) -> tuple[SharePointList, list[str]]:
    """Find or create the form list and add any missing column; return it and what was added."""
    match = client.find_list(site_id, list_name)
    if match is None:
        plan = [(c.name, c.title) for c in FORM_LIST_COLUMNS]
        multiline = {c.name for c in FORM_LIST_COLUMNS if c.multiline}
        made = client.create_list(site_id, list_name, plan, multiline=multiline)
        return made, [f"the list {list_name!r} with {len(plan)} columns"]
    have = {c.name.casefold() for c in client.columns(site_id, match.id)}
    added = []
    for column in FORM_LIST_COLUMNS:
        if column.name.casefold() not in have:
            client.create_column(
                site_id, match.id, column.name, column.title, multiline=column.multiline
            )
            added.append(f"the column {column.title!r}")
    return match, added


def setup_form_list(m365: M365Settings) -> tuple[str, list[str]]:
    """Make the form list on the granted site (``ensure_form_list``, safe to repeat): what was
    done, in one sentence, and the Power Automate flow's steps (``flow_steps``)."""
    assert m365.site_id and m365.forms_list  # the command says what to set first
    with GraphClient.from_settings(m365) as client:
        made, added = ensure_form_list(client, m365.site_id, m365.forms_list)
        site_url = client.site_url(m365.site_id) or m365.site_id
    said = f"Created {' and '.join(added)}" if added else f"The list {made.display_name!r} is ready"
    return f"{said} in {site_url}.", flow_steps(site_url, made.display_name)


@dataclass
class ListFormSource:
    """Microsoft Forms responses read from the SharePoint list the flow fills.

    Columns are matched by internal name (:data:`FORM_LIST_COLUMNS`), never by the name people
    see: ``response_id`` is the item's Title (the flow's *Response Id*), ``submitted_at`` its
    ``SubmittedAt``; the other columns are answers under the bot's question titles. A list
    missing a column is refused as a whole, naming it. Items with the same response id count
    once (a flow run retried by Power Automate may write two); an item that cannot be read
    comes back as an :class:`~bot.core.ports.UnreadableResponse`.

    Args:
        client: the Graph client.
        site_id: the granted site (``COMPLIANCE_BOT_M365__SITE_ID``).
        list_name: the list's display name (``COMPLIANCE_BOT_M365__FORMS_LIST``).
    """

    client: GraphClient
    site_id: str
    list_name: str

    def responses(
        self, since: datetime | None = None
    ) -> Sequence[FormResponse | UnreadableResponse]:
        """Responses after ``since`` (all when None), oldest first; then unreadable items."""
        try:
            match = self.client.find_list(self.site_id, self.list_name)
            if match is None:
                raise PermanentError(
                    f"the site has no list {self.list_name!r} — create it with "
                    f"'compliance-bot reports microsoft-form' or check {ENV}FORMS_LIST"
                )
            problems = column_problems(self.client.columns(self.site_id, match.id))
            if problems:
                raise PermanentError(
                    f"list {self.list_name!r}: " + "; ".join(problems) + " — run "
                    "'compliance-bot reports microsoft-form' to add missing columns, or see "
                    "deploy/m365.md section 10 for a list made by hand"
                )
            names = [RESPONSE_ID, *(c.name for c in FORM_LIST_COLUMNS)]
            items = self.client.list_items(self.site_id, match.id, names)
        except GraphCallError as exc:
            raise read_error(
                exc, FORMS_PERMISSION, not_found=f"{ENV}SITE_ID and {ENV}FORMS_LIST"
            ) from exc
        found: dict[str, FormResponse] = {}
        bad: dict[str, UnreadableResponse] = {}
        for item in items:
            read = self._read(item.id, item.fields)
            if isinstance(read, UnreadableResponse):
                bad.setdefault(read.key, read)
            else:
                found.setdefault(read.response_id, read)
        chosen = sorted(
            (r for r in found.values() if since is None or r.submitted_at > since),
            key=lambda r: (r.submitted_at, r.response_id),
        )
        # a retried flow run may have written the same response well once and badly once
        return [*chosen, *(b for key, b in bad.items() if key not in found)]

    def _read(self, item_id: str, fields: Mapping[str, Any]) -> FormResponse | UnreadableResponse:
        """One list item as a response, or why it cannot be one."""
        where = f"list {self.list_name!r}, item {item_id}"
        response_id = str(fields.get(RESPONSE_ID) or "").strip()
        if not response_id:
            return UnreadableResponse(
                key=f"list item {item_id}",
                where=where,
                problem="its Title (the form's Response Id) is empty",
            )
        where += f" (response {response_id})"
        try:
            submitted = parse_submission_time(fields.get(SUBMITTED.name))
        except ValueError as exc:
            return UnreadableResponse(
                key=response_id,
                where=where,
                problem=f"its '{SUBMITTED.title}' ({SUBMITTED.name}) is {exc}",
            )
        email = str(fields.get(RESPONDER.name) or "").strip()
        answers = {
            column.title: "" if fields[column.name] is None else str(fields[column.name])
            for column in FORM_LIST_COLUMNS
            if column.name in _QUESTIONS and column.name in fields
        }
        return FormResponse(
            response_id=response_id,
            submitted_at=submitted,
            answers=answers,
            respondent_email=email if "@" in email else None,
        )
