"""``compliance-bot check google``: make the real read calls the bot needs and say what to fix.

Nothing is written and no mail or card is sent: Gmail is checked by obtaining a ``gmail.send``
token as the sender (which proves domain-wide delegation), the Chat webhook by its shape only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import httpx

from connectors.checks import (
    ANSWER,
    CheckRow,
    checker,
    pacing_row,
    probe,
    refused,
    row,
    said,
    school_rows,
)
from connectors.google import check_said as s
from connectors.google.client import (
    CHAT_SETUP_SCOPES,
    DIRECTORY_SCOPES,
    FORMS_SCOPES,
    GMAIL_LOOKUP_SCOPES,
    GMAIL_SCOPES,
    SHEETS_SCOPES,
    GoogleCallError,
    GoogleClient,
    GoogleSetupError,
)
from connectors.google.mail import DAILY_SEND_LIMIT

__all__ = ["CheckRow", "run_checks"]

_API_DISABLED = {"accessNotConfigured", "SERVICE_DISABLED"}
_SCOPE_MISSING = {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}
Fix = tuple[str, Mapping[str, object]]  # a fix's sentence (``check_said``) and its values
Answer = Callable[[GoogleCallError], tuple[str, str, Mapping[str, object]]]


def _var(name: str) -> str:
    return f"COMPLIANCE_BOT_GOOGLE__{name}"


def _answers(
    client: GoogleClient,
    scopes: Sequence[str],
    api: str,
    subject_var: str | None,
    forbidden: Fix,
    not_found: Fix | None = None,
) -> Answer:
    """How a refused call of an API reads (its ``scopes``, its ``api`` name in the Cloud
    console, the variable of who it acts as): Google's answer, and the one fix for it
    (``not_found`` defaults to ``forbidden``)."""
    # One client ID has one scope list in the Admin console: always give the whole list,
    # or fixing Gmail would remove the Directory scopes (and the other way round).
    wanted = ",".join(dict.fromkeys([*DIRECTORY_SCOPES, *GMAIL_SCOPES, *scopes]))
    delegation: Fix = (
        s.DELEGATION,
        {"client_id": client.client_id or partial(said, s.SEE_KEY_FILE), "scopes": wanted},
    )

    def fix(exc: GoogleCallError) -> Fix:
        if exc.auth:
            if exc.reason == "unauthorized_client":
                return delegation
            if exc.reason == "invalid_grant" and subject_var:
                return s.ACTIVE_USER, {"variable": _var(subject_var)}
            return (s.UNREACHABLE, {}) if exc.transient else (s.KEY_REFUSED, {"reason": exc.reason})
        if exc.status in (401, 403) and exc.reason in _SCOPE_MISSING:
            return delegation
        if exc.status == 403 and exc.reason in _API_DISABLED:
            return s.ENABLE_API, {"api": api}
        if exc.status in (401, 403):
            return forbidden
        if exc.status == 404:
            return not_found or forbidden
        if exc.status is None or exc.status >= 500 or exc.status == 429:
            return s.RETRY, {}
        return s.REFUSED, {"error": str(exc)}

    return lambda exc: (ANSWER, *fix(exc))


def _rows(settings: Any, schools: Mapping[str, str], http: Any | None = None) -> Iterator[CheckRow]:
    """The service account, directory, groups, Gmail, Sheets, Forms and Chat settings
    (``settings.google``; ``http``: an httplib2-compatible transport, tests; default a real
    ``httplib2.Http``): one row per check; a row with ``ok=False`` carries a ``fix``. Nothing
    is written and no mail or card is sent."""
    google = settings.google
    key_file = _var("SERVICE_ACCOUNT_FILE")
    if google.service_account_file is None:
        yield row(s.KEY, False, s.NOT_CONFIGURED, s.SET_KEY, variable=key_file)
        return
    try:
        client = GoogleClient.from_settings(google, http=http)
    except GoogleSetupError as exc:
        yield row(s.KEY, False, ANSWER, s.POINT_KEY, variable=key_file, answer=str(exc))
        return
    yield row(s.KEY, True, s.KEY_OK, email=client.service_account_email, client_id=client.client_id)
    yield from _directory_rows(google, client)
    yield from _gmail_rows(google.sender, client)
    yield from school_rows(
        schools, lambda sender: _gmail_rows(sender, dataclasses.replace(client, sender=sender))
    )
    yield _sheets_row(google, client)
    yield _forms_row(google, client)
    yield _chat_row(google.chat_webhook_url)
    if google.chat_project_number:
        yield from _chat_app_rows(google, client)
    yield pacing_row(s.MAIL_PACING, google, _var(""), DAILY_SEND_LIMIT, "messages")


run_checks = checker(_rows)


def _directory_rows(google: Any, client: GoogleClient) -> list[CheckRow]:
    if not google.admin_subject:
        return [row(s.USERS, False, s.NO_ADMIN, s.SET_ADMIN, variable=_var("ADMIN_SUBJECT"))]
    api = client.directory()
    query = {"query": google.user_query} if google.user_query else {}
    if google.role_groups and not google.all_users:
        sentence = s.GROUP_MEMBERS_MATCHING if google.user_query else s.GROUP_MEMBERS
        who = partial(said, sentence, variable=_var("ROLE_GROUPS"), query=google.user_query)
    elif google.user_query:
        who = partial(said, s.USERS_MATCHING, query=google.user_query, variable=_var("USER_QUERY"))
    else:
        who = partial(
            said,
            s.EVERY_USER,
            groups=_var("ROLE_GROUPS"),
            all_users=_var("ALL_USERS"),
            query_variable=_var("USER_QUERY"),
        )
    directory = partial(_answers, client, DIRECTORY_SCOPES, "Admin SDK API", "ADMIN_SUBJECT")
    refusal = directory(
        (s.USERS_ROLE, {"subject": google.admin_subject}),
        (s.CHECK_CUSTOMER, {"variable": _var("CUSTOMER")}),
    )

    def users_refused(exc: GoogleCallError) -> tuple[str, str, Mapping[str, object]]:
        if google.user_query and exc.status == 400:
            answer = f"{_var('USER_QUERY')}={google.user_query}: {exc}"
            return ANSWER, s.FIX_QUERY, {"variable": _var("USER_QUERY"), "answer": answer}
        return refusal(exc)

    users = probe(
        s.USERS,
        lambda: api.call(
            api.resource.users().list(
                customer=google.customer, maxResults=1, fields="users(primaryEmail)", **query
            )
        ),
        s.USERS_OK,
        users_refused,
        subject=google.admin_subject,
        who=who,
    )
    if not users.ok:  # the group checks would fail the same way: none follow
        return [users]
    if not google.role_groups:
        return [users, row(s.GROUPS, True, s.NO_GROUPS, variable=_var("ROLE_GROUPS"))]
    rows = [users]
    refusal = directory(
        (s.GROUPS_ROLE, {"subject": google.admin_subject}),
        (s.NO_SUCH_GROUP, {"variable": _var("ROLE_GROUPS")}),
    )
    for group in google.role_groups:
        try:
            found = api.call(api.resource.groups().get(groupKey=group))
            api.call(
                api.resource.members().list(
                    groupKey=group, maxResults=1, includeDerivedMembership=True
                )
            )
        except GoogleCallError as exc:
            rows.append(refused(s.GROUP, exc, refusal, group=group))
            continue
        count = found.get("directMembersCount", "?") if isinstance(found, dict) else "?"
        rows.append(row(s.GROUP, True, s.MEMBERS_OK, group=group, count=count))
    return rows


def _gmail_rows(sender: str | None, client: GoogleClient) -> list[CheckRow]:
    """A sender's rows: whether it may send, and (once there is one) its sent-mail lookup."""
    return [_gmail_row(sender, client), *([_gmail_lookup_row(sender, client)] if sender else [])]


def _gmail_row(sender: str | None, client: GoogleClient) -> CheckRow:
    if not sender:
        return row(s.GMAIL_SEND, False, s.NO_SENDER, s.SET_SENDER, variable=_var("SENDER"))
    refusal = _answers(
        client,
        GMAIL_SCOPES,
        "Gmail API",
        "SENDER",
        (s.NEEDS_LICENCE, {"sender": sender}),
        (s.NO_MAILBOX, {"sender": sender}),
    )
    return probe(
        s.GMAIL_SEND, lambda: client.gmail().authorise(), s.SEND_OK, refusal, sender=sender
    )


def _gmail_lookup_row(sender: str, client: GoogleClient) -> CheckRow:
    """Optional: whether an unknown send outcome can be looked up in the sent mail, and the
    mailer-daemon's bounces read (both need gmail.readonly)."""
    try:
        client.gmail_lookup().authorise()
    except GoogleCallError:
        return row(s.GMAIL_LOOKUP, True, s.LOOKUP_NOT_GRANTED, scope=GMAIL_LOOKUP_SCOPES[0])
    return row(s.GMAIL_LOOKUP, True, s.LOOKUP_OK, sender=sender)


def _sheets_row(google: Any, client: GoogleClient) -> CheckRow:
    name, variable = s.SHEETS, _var("SPREADSHEET_ID")
    if not google.spreadsheet_id:
        return row(name, True, s.OPTIONAL, variable=variable)
    share: Fix = s.SHARE_SHEET, {"email": client.service_account_email, "variable": variable}
    try:
        api = client.sheets()
        found = api.call(
            api.resource.spreadsheets().get(
                spreadsheetId=google.spreadsheet_id, fields="properties.title,sheets.properties"
            )
        )
    except GoogleCallError as exc:
        return refused(name, exc, _answers(client, SHEETS_SCOPES, "Google Sheets API", None, share))
    tabs = [s.get("properties", {}).get("title") for s in found.get("sheets", [])]
    title, tab = repr(found.get("properties", {}).get("title", "?")), repr(google.sheet_name)
    if google.sheet_name not in tabs:
        listed, variable = ", ".join(map(str, tabs)), _var("SHEET_NAME")
        return row(
            name, False, s.NO_TAB, s.ADD_TAB, title=title, tab=tab, tabs=listed, variable=variable
        )
    return row(name, True, s.SHEET_OK, title=title, tab=tab)


def _forms_row(google: Any, client: GoogleClient) -> CheckRow:
    name = "Google Forms"  # the product's name
    if not google.form_id:
        return row(name, True, s.OPTIONAL, variable=_var("FORM_ID"))
    share: Fix = s.SHARE_FORM, {"email": client.service_account_email, "variable": _var("FORM_ID")}
    api = client.forms()
    try:
        form = api.call(api.resource.forms().get(formId=google.form_id))
        api.call(api.resource.forms().responses().list(formId=google.form_id, pageSize=1))
    except GoogleCallError as exc:
        return refused(name, exc, _answers(client, FORMS_SCOPES, "Google Forms API", None, share))
    title = (form.get("info") or {}).get("title", "?") if isinstance(form, dict) else "?"
    return row(name, True, s.FORM_OK, title=repr(title))


def _chat_row(secret: Any) -> CheckRow:
    name, variable = s.CHAT_WEBHOOK, _var("CHAT_WEBHOOK_URL")
    if secret is None:
        return row(name, True, s.OPTIONAL, variable=variable)
    try:
        url = httpx.URL(secret.get_secret_value())
    except httpx.InvalidURL:
        url = httpx.URL()
    space = re.fullmatch(r"v1/spaces/([^/]*)/messages", url.path.strip("/"))
    fields = (url.scheme == "https", url.host == "chat.googleapis.com", space)
    if not all((*fields, url.params.get("key"), url.params.get("token"))):
        return row(name, False, s.NOT_WEBHOOK, s.COPY_WEBHOOK, variable=variable)
    return row(name, True, s.WEBHOOK_OK, space=space and space.group(1))


def _chat_app_rows(google: Any, client: GoogleClient) -> list[CheckRow]:
    """The Chat app's cards of its own accord: a token as the app (``chat.bot``: finds direct
    messages and posts cards) and, optional, the delegation that sets up a missing direct
    message as the person (``chat.spaces.create``); nothing is posted or set up."""
    try:
        client.chat().authorise()
    except GoogleCallError as exc:
        app = row(s.CHAT_APP, False, s.NO_CHAT_TOKEN, s.SET_UP_CHAT, error=str(exc))
    else:
        app = row(s.CHAT_APP, True, s.CHAT_OK, project=google.chat_project_number)
    who = google.sender or google.admin_subject
    if not who:
        return [app]
    try:
        client.chat_as(who).authorise()
    except GoogleCallError:
        return [app, row(s.CHAT_DIRECT, True, s.DIRECT_NOT_GRANTED, scope=CHAT_SETUP_SCOPES[0])]
    return [app, row(s.CHAT_DIRECT, True, s.DIRECT_OK, who=who)]
