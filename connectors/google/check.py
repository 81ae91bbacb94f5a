"""``compliance-bot check google``: make the real read calls the bot needs and say what to fix.

Nothing is written and no mail or card is sent: Gmail is checked by obtaining a ``gmail.send``
token as the sender (which proves domain-wide delegation), the Chat webhook by its shape only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx

from bot.core.language.i18n import speaking
from connectors.base import ANSWER, CheckRow, pacing_row, row, said, school_rows
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

if TYPE_CHECKING:
    from bot.core.deployment.settings import Settings

__all__ = ["CheckRow", "run_checks"]

_API_DISABLED = {"accessNotConfigured", "SERVICE_DISABLED"}
_SCOPE_MISSING = {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}


def _var(name: str) -> str:
    return f"COMPLIANCE_BOT_GOOGLE__{name}"


@dataclass(frozen=True)
class _Target:
    """What an API needs: its scopes, its name in the Cloud console, who it acts as."""

    scopes: Sequence[str]
    api_name: str
    subject_var: str | None


_DIRECTORY = _Target(DIRECTORY_SCOPES, "Admin SDK API", "ADMIN_SUBJECT")
_GMAIL = _Target(GMAIL_SCOPES, "Gmail API", "SENDER")
_SHEETS = _Target(SHEETS_SCOPES, "Google Sheets API", None)
_FORMS = _Target(FORMS_SCOPES, "Google Forms API", None)


Fix = tuple[str, Mapping[str, object]]  # a fix's sentence (``check_said``) and its values


def _delegation_fix(client: GoogleClient, scopes: Sequence[str]) -> Fix:
    # One client ID has one scope list in the Admin console: always give the whole list,
    # or fixing Gmail would remove the Directory scopes (and the other way round).
    wanted = list(dict.fromkeys([*DIRECTORY_SCOPES, *GMAIL_SCOPES, *scopes]))
    return s.DELEGATION, {
        "client_id": client.client_id or partial(said, s.SEE_KEY_FILE),
        "scopes": ",".join(wanted),
    }


def _fix(
    client: GoogleClient, exc: GoogleCallError, target: _Target, *, forbidden: Fix, not_found: Fix
) -> Fix:
    """Turn a failure into one actionable sentence."""
    if exc.auth:
        if exc.reason == "unauthorized_client":
            return _delegation_fix(client, target.scopes)
        if exc.reason == "invalid_grant" and target.subject_var:
            return s.ACTIVE_USER, {"variable": _var(target.subject_var)}
        if exc.transient:
            return s.UNREACHABLE, {}
        return s.KEY_REFUSED, {"reason": exc.reason}
    if exc.status in (401, 403) and exc.reason in _SCOPE_MISSING:
        return _delegation_fix(client, target.scopes)
    if exc.status == 403 and exc.reason in _API_DISABLED:
        return s.ENABLE_API, {"api": target.api_name}
    if exc.status in (401, 403):
        return forbidden
    if exc.status == 404:
        return not_found
    if exc.status is None or exc.status >= 500 or exc.status == 429:
        return s.RETRY, {}
    return s.REFUSED, {"error": str(exc)}


def _failed(
    name: str,
    client: GoogleClient,
    exc: GoogleCallError,
    target: _Target,
    /,
    *,
    forbidden: Fix,
    not_found: Fix | None = None,
    **values: object,
) -> CheckRow:
    """The row of a failed call (its name said with ``values``): Google's answer, and what to
    fix (``not_found`` defaults to ``forbidden``: one fix for both)."""
    fix, with_values = _fix(
        client, exc, target, forbidden=forbidden, not_found=not_found or forbidden
    )
    return row(name, False, ANSWER, fix, **{**values, **with_values, "answer": str(exc)})


def run_checks(
    settings: Settings,
    http: Any | None = None,
    *,
    schools: Mapping[str, str] | None = None,
    language: str = "en",
) -> list[CheckRow]:
    """Check the service account, directory, groups, Gmail, Sheets, Forms and Chat settings.

    Args:
        settings: the deployment settings (``settings.google``).
        http: an httplib2-compatible transport (tests); default a real ``httplib2.Http``.
        schools: the schools with a Gmail account of their own, name -> account (``sender``
            in school.yaml): each is checked as the install's sender is, its rows named for it.
        language: the language of the schools on the domain (``en``, ``cy``, ``cy+en``): the
            rows' own sentences are said in it (``check_said``), Google's words as they are.

    Returns:
        One row per check; a row with ``ok=False`` carries a ``fix``.
    """
    with speaking(language):
        return _run(settings, http, schools or {})


def _run(settings: Settings, http: Any | None, schools: Mapping[str, str]) -> list[CheckRow]:
    google = settings.google
    key_file = _var("SERVICE_ACCOUNT_FILE")
    if google.service_account_file is None:
        return [row(s.KEY, False, s.NOT_CONFIGURED, s.SET_KEY, variable=key_file)]
    try:
        client = GoogleClient.from_settings(google, http=http)
    except GoogleSetupError as exc:
        return [row(s.KEY, False, ANSWER, s.POINT_KEY, variable=key_file, answer=str(exc))]
    rows = [
        row(s.KEY, True, s.KEY_OK, email=client.service_account_email, client_id=client.client_id),
        *_directory_rows(settings, client),
        *_gmail_rows(settings.google.sender, client),
    ]
    rows += school_rows(
        schools, lambda sender: _gmail_rows(sender, dataclasses.replace(client, sender=sender))
    )
    rows.append(_sheets_row(settings, client))
    rows.append(_forms_row(settings, client))
    rows.append(_chat_row(settings))
    if google.chat_project_number:
        rows.extend(_chat_app_rows(settings, client))
    rows.append(pacing_row(s.MAIL_PACING, google, _var(""), DAILY_SEND_LIMIT, "messages"))
    return rows


def _directory_rows(settings: Settings, client: GoogleClient) -> list[CheckRow]:
    google = settings.google
    if not google.admin_subject:
        return [row(s.USERS, False, s.NO_ADMIN, s.SET_ADMIN, variable=_var("ADMIN_SUBJECT"))]
    api = client.directory()
    query = {"query": google.user_query} if google.user_query else {}
    scoped = bool(google.role_groups) and not google.all_users
    if scoped:
        who = partial(
            said,
            s.GROUP_MEMBERS_MATCHING if google.user_query else s.GROUP_MEMBERS,
            variable=_var("ROLE_GROUPS"),
            query=google.user_query,
        )
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
    try:
        api.call(
            api.resource.users().list(
                customer=google.customer, maxResults=1, fields="users(primaryEmail)", **query
            )
        )
    except GoogleCallError as exc:  # the group checks would fail the same way: none follow
        if google.user_query and exc.status == 400:
            return [
                row(
                    s.USERS,
                    False,
                    ANSWER,
                    s.FIX_QUERY,
                    variable=_var("USER_QUERY"),
                    answer=f"{_var('USER_QUERY')}={google.user_query}: {exc}",
                )
            ]
        return [
            _failed(
                s.USERS,
                client,
                exc,
                _DIRECTORY,
                forbidden=(s.USERS_ROLE, {"subject": google.admin_subject}),
                not_found=(s.CHECK_CUSTOMER, {"variable": _var("CUSTOMER")}),
            )
        ]
    rows = [row(s.USERS, True, s.USERS_OK, subject=google.admin_subject, who=who)]
    if not google.role_groups:
        rows.append(row(s.GROUPS, True, s.NO_GROUPS, variable=_var("ROLE_GROUPS")))
    for group in google.role_groups:
        try:
            found = api.call(api.resource.groups().get(groupKey=group))
            api.call(
                api.resource.members().list(
                    groupKey=group, maxResults=1, includeDerivedMembership=True
                )
            )
            count = found.get("directMembersCount", "?") if isinstance(found, dict) else "?"
            rows.append(row(s.GROUP, True, s.MEMBERS_OK, group=group, count=count))
        except GoogleCallError as exc:
            rows.append(
                _failed(
                    s.GROUP,
                    client,
                    exc,
                    _DIRECTORY,
                    group=group,
                    forbidden=(s.GROUPS_ROLE, {"subject": google.admin_subject}),
                    not_found=(s.NO_SUCH_GROUP, {"variable": _var("ROLE_GROUPS")}),
                )
            )
    return rows


def _gmail_rows(sender: str | None, client: GoogleClient) -> list[CheckRow]:
    """A sender's rows: whether it may send, and (once there is one) its sent-mail lookup."""
    return [_gmail_row(sender, client), *([_gmail_lookup_row(sender, client)] if sender else [])]


def _gmail_row(sender: str | None, client: GoogleClient) -> CheckRow:
    if not sender:
        return row(s.GMAIL_SEND, False, s.NO_SENDER, s.SET_SENDER, variable=_var("SENDER"))
    try:
        client.gmail().authorise()
    except GoogleCallError as exc:
        return _failed(
            s.GMAIL_SEND,
            client,
            exc,
            _GMAIL,
            forbidden=(s.NEEDS_LICENCE, {"sender": sender}),
            not_found=(s.NO_MAILBOX, {"sender": sender}),
        )
    return row(s.GMAIL_SEND, True, s.SEND_OK, sender=sender)


def _gmail_lookup_row(sender: str, client: GoogleClient) -> CheckRow:
    """Optional: whether an unknown send outcome can be looked up in the sent mail, and the
    mailer-daemon's bounces read (both need gmail.readonly)."""
    try:
        client.gmail_lookup().authorise()
    except GoogleCallError:
        return row(s.GMAIL_LOOKUP, True, s.LOOKUP_NOT_GRANTED, scope=GMAIL_LOOKUP_SCOPES[0])
    return row(s.GMAIL_LOOKUP, True, s.LOOKUP_OK, sender=sender)


def _sheets_row(settings: Settings, client: GoogleClient) -> CheckRow:
    google, name = settings.google, s.SHEETS
    if not google.spreadsheet_id:
        return row(name, True, s.OPTIONAL, variable=_var("SPREADSHEET_ID"))
    share: Fix = (
        s.SHARE_SHEET,
        {"email": client.service_account_email, "variable": _var("SPREADSHEET_ID")},
    )
    try:
        api = client.sheets()
        found = api.call(
            api.resource.spreadsheets().get(
                spreadsheetId=google.spreadsheet_id, fields="properties.title,sheets.properties"
            )
        )
    except GoogleCallError as exc:
        return _failed(name, client, exc, _SHEETS, forbidden=share)
    tabs = [s.get("properties", {}).get("title") for s in found.get("sheets", [])]
    title = found.get("properties", {}).get("title", "?")
    if google.sheet_name not in tabs:
        return row(
            name,
            False,
            s.NO_TAB,
            s.ADD_TAB,
            title=repr(title),
            tab=repr(google.sheet_name),
            tabs=", ".join(map(str, tabs)),
            variable=_var("SHEET_NAME"),
        )
    return row(name, True, s.SHEET_OK, title=repr(title), tab=repr(google.sheet_name))


def _forms_row(settings: Settings, client: GoogleClient) -> CheckRow:
    google = settings.google
    name = "Google Forms"  # the product's name
    if not google.form_id:
        return row(name, True, s.OPTIONAL, variable=_var("FORM_ID"))
    share: Fix = s.SHARE_FORM, {"email": client.service_account_email, "variable": _var("FORM_ID")}
    api = client.forms()
    try:
        form = api.call(api.resource.forms().get(formId=google.form_id))
        api.call(api.resource.forms().responses().list(formId=google.form_id, pageSize=1))
    except GoogleCallError as exc:
        return _failed(name, client, exc, _FORMS, forbidden=share)
    title = (form.get("info") or {}).get("title", "?") if isinstance(form, dict) else "?"
    return row(name, True, s.FORM_OK, title=repr(title))


def _chat_row(settings: Settings) -> CheckRow:
    secret, name = settings.google.chat_webhook_url, s.CHAT_WEBHOOK
    if secret is None:
        return row(name, True, s.OPTIONAL, variable=_var("CHAT_WEBHOOK_URL"))
    try:
        url = httpx.URL(secret.get_secret_value())
    except httpx.InvalidURL:
        url = None
    parts = url.path.strip("/").split("/") if url is not None else []
    if (
        url is None
        or url.scheme != "https"
        or url.host != "chat.googleapis.com"
        or len(parts) != 4
        or parts[:2] != ["v1", "spaces"]
        or parts[3] != "messages"
        or not url.params.get("key")
        or not url.params.get("token")
    ):
        return row(name, False, s.NOT_WEBHOOK, s.COPY_WEBHOOK, variable=_var("CHAT_WEBHOOK_URL"))
    return row(name, True, s.WEBHOOK_OK, space=parts[2])


def _chat_app_rows(settings: Settings, client: GoogleClient) -> list[CheckRow]:
    """The Chat app's cards of its own accord: a token as the app (``chat.bot``: finds direct
    messages and posts cards) and, optional, the delegation that sets up a missing direct
    message as the person (``chat.spaces.create``); nothing is posted or set up."""
    try:
        client.chat().authorise()
    except GoogleCallError as exc:
        app = row(s.CHAT_APP, False, s.NO_CHAT_TOKEN, s.SET_UP_CHAT, error=str(exc))
    else:
        app = row(s.CHAT_APP, True, s.CHAT_OK, project=settings.google.chat_project_number)
    who = settings.google.sender or settings.google.admin_subject
    if not who:
        return [app]
    try:
        client.chat_as(who).authorise()
    except GoogleCallError:
        return [app, row(s.CHAT_DIRECT, True, s.DIRECT_NOT_GRANTED, scope=CHAT_SETUP_SCOPES[0])]
    return [app, row(s.CHAT_DIRECT, True, s.DIRECT_OK, who=who)]
