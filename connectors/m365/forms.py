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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.base import FormResponse, PermanentError
from connectors.m365.client import GraphClient
from connectors.m365.errors import ENV, GraphCallError, read_error
from connectors.m365.records import SharePointList

__all__ = [
    "FORM_LIST_COLUMNS",
    "FormListColumn",
    "ListFormSource",
    "ensure_form_list",
    "flow_steps",
    "parse_submission_time",
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
SUBMITTED = FormListColumn("SubmittedAt", "Submission time", flow_value="Submission time")
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


def parse_submission_time(value: object) -> datetime:
    """The flow's *Submission time* (ISO 8601, UTC when it has no offset) as aware UTC."""
    text = str(value or "").strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def flow_steps(site_url: str, list_name: str) -> list[str]:
    """The Power Automate flow, step by step, as a person builds it (standard connectors only)."""
    steps = [
        "Power Automate > Create > Automated cloud flow, named e.g. 'Form to compliance-bot'.",
        "Trigger: Microsoft Forms 'When a new response is submitted'; Form Id: your form.",
        "Action: Microsoft Forms 'Get response details'; Form Id: the same form; "
        "Response Id: 'Response Id' from the trigger.",
        f"Action: SharePoint 'Create item'; Site Address: {site_url}; List Name: {list_name}.",
        "  Title: 'Response Id' (from Get response details)",
    ]
    for column in FORM_LIST_COLUMNS:
        value = column.flow_value or f"the answer to your question '{column.title}'"
        steps.append(f"  {column.title}: {value}")
    steps += [
        "Leave a column empty when your form has no such question; 'Category' should be "
        "one of the categories the bot knows (unknown answers count as Other).",
        "Save, submit a test response, and check the item appears in the list; then add a "
        "co-owner to the flow (a flow stops when its only owner leaves).",
    ]
    return steps


def ensure_form_list(
    client: GraphClient, site_id: str, list_name: str
) -> tuple[SharePointList, list[str]]:
    """Find or create the form list and add any missing column; return it and what was added."""
    match = _find_list(client, site_id, list_name)
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


def _find_list(client: GraphClient, site_id: str, list_name: str) -> SharePointList | None:
    lists = client.lists(site_id)
    return next((x for x in lists if x.display_name.casefold() == list_name.casefold()), None)


@dataclass
class ListFormSource:
    """Microsoft Forms responses read from the SharePoint list the flow fills.

    ``response_id`` is the item's Title (the flow's *Response Id*), ``submitted_at`` its
    *Submission time*; the other columns are answers under their titles. Items with the same
    response id count once (a flow run retried by Power Automate may write two).

    Args:
        client: the Graph client.
        site_id: the granted site (``COMPLIANCE_BOT_M365__SITE_ID``).
        list_name: the list's display name (``COMPLIANCE_BOT_M365__FORMS_LIST``).
    """

    client: GraphClient
    site_id: str
    list_name: str

    def responses(self, since: datetime | None = None) -> Sequence[FormResponse]:
        """Responses after ``since`` (all when None), oldest first."""
        try:
            match = _find_list(self.client, self.site_id, self.list_name)
            if match is None:
                raise PermanentError(
                    f"the site has no list {self.list_name!r} — create it with "
                    f"'compliance-bot reports microsoft-form' or check {ENV}FORMS_LIST"
                )
            titles = {c.name: c.display_name for c in self.client.columns(self.site_id, match.id)}
            names = [RESPONSE_ID, *(c.name for c in FORM_LIST_COLUMNS if c.name in titles)]
            if SUBMITTED.name not in titles:
                raise PermanentError(
                    f"list {self.list_name!r} has no 'Submission time' column — run "
                    "'compliance-bot reports microsoft-form' to add the missing columns"
                )
            items = self.client.list_items(self.site_id, match.id, names)
        except GraphCallError as exc:
            error = read_error(exc, FORMS_PERMISSION)
            if exc.status == 404:
                error = PermanentError(f"{exc} — check {ENV}SITE_ID and {ENV}FORMS_LIST")
            raise error from exc
        found: dict[str, FormResponse] = {}
        for item in items:
            fields = item.fields
            response_id = str(fields.get(RESPONSE_ID) or "").strip()
            if not response_id:
                continue
            try:
                submitted = parse_submission_time(fields.get(SUBMITTED.name))
            except ValueError as exc:
                raise PermanentError(
                    f"list {self.list_name!r}, item {item.id} (response {response_id}), "
                    f"'Submission time': {exc}"
                ) from exc
            email = str(fields.get(RESPONDER.name) or "").strip()
            answers = {
                titles[name]: "" if value is None else str(value)
                for name, value in fields.items()
                if name in titles and name in _QUESTIONS
            }
            found.setdefault(
                response_id,
                FormResponse(
                    response_id=response_id,
                    submitted_at=submitted,
                    answers=answers,
                    respondent_email=email if "@" in email else None,
                ),
            )
        chosen = [r for r in found.values() if since is None or r.submitted_at > since]
        return sorted(chosen, key=lambda r: (r.submitted_at, r.response_id))
