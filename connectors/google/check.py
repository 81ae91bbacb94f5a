"""``compliance-bot check google``: make the real read calls the bot needs and say what to fix.

Nothing is written and no mail or card is sent: Gmail is checked by obtaining a ``gmail.send``
token as the sender (which proves domain-wide delegation), the Chat webhook by its shape only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from connectors.base import CheckRow, pacing_row, school_rows
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
    from bot.core.settings import Settings

__all__ = ["CheckRow", "run_checks"]

_DWD_PAGE = (
    "Admin console > Security > Access and data control > API controls > Domain-wide delegation"
)
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


def _delegation_fix(client: GoogleClient, scopes: Sequence[str]) -> str:
    # One client ID has one scope list in the Admin console: always give the whole list,
    # or fixing Gmail would remove the Directory scopes (and the other way round).
    wanted = list(dict.fromkeys([*DIRECTORY_SCOPES, *GMAIL_SCOPES, *scopes]))
    return (
        f"{_DWD_PAGE}: give client ID {client.client_id or '(see the key file)'} "
        f"exactly these scopes: {','.join(wanted)}"
    )


def _fix(
    client: GoogleClient, exc: GoogleCallError, target: _Target, *, forbidden: str, not_found: str
) -> str:
    """Turn a failure into one actionable sentence."""
    if exc.auth:
        if exc.reason == "unauthorized_client":
            return _delegation_fix(client, target.scopes)
        if exc.reason == "invalid_grant" and target.subject_var:
            return f"{_var(target.subject_var)} must be an active user in your domain"
        if exc.transient:
            return "Google's token endpoint was unreachable: check outbound HTTPS and retry"
        return f"the service-account key was refused ({exc.reason}): create a new key"
    if exc.status in (401, 403) and exc.reason in _SCOPE_MISSING:
        return _delegation_fix(client, target.scopes)
    if exc.status == 403 and exc.reason in _API_DISABLED:
        return f"enable the {target.api_name} in the service account's Google Cloud project"
    if exc.status in (401, 403):
        return forbidden
    if exc.status == 404:
        return not_found
    if exc.status is None or exc.status >= 500 or exc.status == 429:
        return "Google did not answer properly: retry in a few minutes"
    return f"Google refused the request: {exc}"


def _failed(
    name: str, client: GoogleClient, exc: GoogleCallError, target: _Target, *, forbidden: str,
    not_found: str | None = None,
) -> CheckRow:
    """The row of a failed call: Google's answer, and what to fix (``not_found`` defaults to
    ``forbidden``: one fix for both)."""
    return CheckRow(name, False, str(exc), _fix(client, exc, target, forbidden=forbidden,
                                                not_found=not_found or forbidden))


def run_checks(
    settings: Settings, http: Any | None = None, *, schools: Mapping[str, str] | None = None,
) -> list[CheckRow]:
    """Check the service account, directory, groups, Gmail, Sheets, Forms and Chat settings.

    Args:
        settings: the deployment settings (``settings.google``).
        http: an httplib2-compatible transport (tests); default a real ``httplib2.Http``.
        schools: the schools with a Gmail account of their own, name -> account (``sender``
            in school.yaml): each is checked as the install's sender is, its rows named for it.

    Returns:
        One row per check; a row with ``ok=False`` carries a ``fix``.
    """
    google = settings.google
    if google.service_account_file is None:
        return [
            CheckRow(
                "Service account key",
                False,
                "not configured",
                f"set {_var('SERVICE_ACCOUNT_FILE')} to the JSON key of the service account",
            )
        ]
    try:
        client = GoogleClient.from_settings(google, http=http)
    except GoogleSetupError as exc:
        return [
            CheckRow(
                "Service account key",
                False,
                str(exc),
                f"point {_var('SERVICE_ACCOUNT_FILE')} at the downloaded JSON key",
            )
        ]
    rows = [
        CheckRow("Service account key", True,
                 f"{client.service_account_email} (client ID {client.client_id})"),
        *_directory_rows(settings, client),
        *_gmail_rows(settings.google.sender, client),
    ]
    rows += school_rows(schools or {}, lambda sender: _gmail_rows(
        sender, dataclasses.replace(client, sender=sender)))
    rows.append(_sheets_row(settings, client))
    rows.append(_forms_row(settings, client))
    rows.append(_chat_row(settings))
    if google.chat_project_number:
        rows.extend(_chat_app_rows(settings, client))
    rows.append(pacing_row("Mail pacing", settings.google, _var(""), DAILY_SEND_LIMIT, "messages"))
    return rows


def _directory_rows(settings: Settings, client: GoogleClient) -> list[CheckRow]:
    google = settings.google
    if not google.admin_subject:
        return [
            CheckRow(
                "Directory users",
                False,
                "no admin to act as",
                f"set {_var('ADMIN_SUBJECT')} to an administrator's email address",
            )
        ]
    api = client.directory()
    query = {"query": google.user_query} if google.user_query else {}
    scoped = bool(google.role_groups) and not google.all_users
    if scoped:
        who = (f"only members of the {_var('ROLE_GROUPS')} groups are read"
               + (f", those matching {google.user_query}" if google.user_query else ""))
    elif google.user_query:
        who = f"only users matching {google.user_query} are read ({_var('USER_QUERY')})"
    else:
        who = (f"every user of the domain is read, pupils too: name an all-staff group in "
               f"{_var('ROLE_GROUPS')} with {_var('ALL_USERS')}=false, or set "
               f"{_var('USER_QUERY')}, e.g. orgUnitPath='/Staff' (deploy/google.md)")
    try:
        api.call(
            api.resource.users().list(
                customer=google.customer, maxResults=1, fields="users(primaryEmail)", **query
            )
        )
    except GoogleCallError as exc:  # the group checks would fail the same way: none follow
        if google.user_query and exc.status == 400:
            return [CheckRow(
                "Directory users", False, f"{_var('USER_QUERY')}={google.user_query}: {exc}",
                f"fix {_var('USER_QUERY')}: an Admin SDK user search such as "
                "orgUnitPath='/Staff' (deploy/google.md)")]
        return [_failed(
            "Directory users", client, exc, _DIRECTORY,
            forbidden=f"{google.admin_subject} must be a super admin or hold an admin role "
            "with Users > Read", not_found=f"check {_var('CUSTOMER')} (use my_customer)")]
    rows = [CheckRow("Directory users", True, f"users readable as {google.admin_subject}; {who}")]
    if not google.role_groups:
        rows.append(
            CheckRow(
                "Directory groups",
                True,
                f"none configured ({_var('ROLE_GROUPS')}); nobody gets a role from a group",
            )
        )
    for group in google.role_groups:
        name = f"Directory group {group}"
        try:
            found = api.call(api.resource.groups().get(groupKey=group))
            api.call(
                api.resource.members().list(
                    groupKey=group, maxResults=1, includeDerivedMembership=True
                )
            )
            count = found.get("directMembersCount", "?") if isinstance(found, dict) else "?"
            rows.append(CheckRow(name, True, f"{count} direct members readable"))
        except GoogleCallError as exc:
            rows.append(_failed(
                name, client, exc, _DIRECTORY,
                forbidden=f"{google.admin_subject} needs the Groups > Read admin privilege",
                not_found=f"no such group: fix the key in {_var('ROLE_GROUPS')}"))
    return rows


def _gmail_rows(sender: str | None, client: GoogleClient) -> list[CheckRow]:
    """A sender's rows: whether it may send, and (once there is one) its sent-mail lookup."""
    return [_gmail_row(sender, client), *([_gmail_lookup_row(sender, client)] if sender else [])]


def _gmail_row(sender: str | None, client: GoogleClient) -> CheckRow:
    if not sender:
        return CheckRow(
            "Gmail send", False, "no sender", f"set {_var('SENDER')} to the mailbox to send from"
        )
    try:
        client.gmail().authorise()
    except GoogleCallError as exc:
        return _failed("Gmail send", client, exc, _GMAIL,
                       forbidden=f"{sender} needs a Gmail licence",
                       not_found=f"{sender} has no mailbox")
    return CheckRow("Gmail send", True, f"gmail.send token issued for {sender} (no mail sent)")


def _gmail_lookup_row(sender: str, client: GoogleClient) -> CheckRow:
    """Optional: whether an unknown send outcome can be looked up in the sent mail, and the
    mailer-daemon's bounces read (both need gmail.readonly)."""
    name = "Gmail sent-mail lookup (optional)"
    try:
        client.gmail_lookup().authorise()
    except GoogleCallError:
        return CheckRow(
            name,
            True,
            f"not granted: a message whose send outcome is unknown waits for a person, and a "
            f"message Gmail accepted and then bounced stays marked sent. To settle those "
            f"automatically, add {GMAIL_LOOKUP_SCOPES[0]} to the service account's "
            "domain-wide delegation (deploy/google.md)",
        )
    return CheckRow(
        name,
        True,
        f"gmail.readonly token issued for {sender}: a message whose send outcome is unknown "
        "is looked up by its Message-ID in the sent mail, and one Gmail bounces (its "
        "mailer-daemon's report) is marked bounced",
    )


def _sheets_row(settings: Settings, client: GoogleClient) -> CheckRow:
    google = settings.google
    if not google.spreadsheet_id:
        return CheckRow(
            "Sheets mirror", True, f"not configured ({_var('SPREADSHEET_ID')}); optional"
        )
    share = (
        f"share the spreadsheet with {client.service_account_email} as Editor, and check "
        f"{_var('SPREADSHEET_ID')}"
    )
    try:
        api = client.sheets()
        found = api.call(
            api.resource.spreadsheets().get(
                spreadsheetId=google.spreadsheet_id, fields="properties.title,sheets.properties"
            )
        )
    except GoogleCallError as exc:
        return _failed("Sheets mirror", client, exc, _SHEETS, forbidden=share)
    tabs = [s.get("properties", {}).get("title") for s in found.get("sheets", [])]
    title = found.get("properties", {}).get("title", "?")
    if google.sheet_name not in tabs:
        return CheckRow(
            "Sheets mirror",
            False,
            f"spreadsheet {title!r} has no tab {google.sheet_name!r} "
            f"(tabs: {', '.join(map(str, tabs))})",
            f"add a tab named {google.sheet_name!r} or set {_var('SHEET_NAME')}",
        )
    return CheckRow("Sheets mirror", True, f"{title!r}, tab {google.sheet_name!r} readable")


def _forms_row(settings: Settings, client: GoogleClient) -> CheckRow:
    google = settings.google
    if not google.form_id:
        return CheckRow("Google Forms", True, f"not configured ({_var('FORM_ID')}); optional")
    share = (
        f"add {client.service_account_email} to the form as an editor (collaborator), and check "
        f"{_var('FORM_ID')}"
    )
    api = client.forms()
    try:
        form = api.call(api.resource.forms().get(formId=google.form_id))
        api.call(api.resource.forms().responses().list(formId=google.form_id, pageSize=1))
    except GoogleCallError as exc:
        return _failed("Google Forms", client, exc, _FORMS, forbidden=share)
    title = (form.get("info") or {}).get("title", "?") if isinstance(form, dict) else "?"
    return CheckRow("Google Forms", True, f"{title!r}: questions and responses readable")


def _chat_row(settings: Settings) -> CheckRow:
    secret = settings.google.chat_webhook_url
    if secret is None:
        return CheckRow(
            "Chat webhook", True, f"not configured ({_var('CHAT_WEBHOOK_URL')}); optional"
        )
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
        return CheckRow(
            "Chat webhook",
            False,
            "not a Google Chat space webhook URL",
            f"copy the webhook URL from the space (Apps & integrations > Webhooks) into "
            f"{_var('CHAT_WEBHOOK_URL')}",
        )
    return CheckRow("Chat webhook", True, f"space {parts[2]} (not called: a check must not post)")


def _chat_app_rows(settings: Settings, client: GoogleClient) -> list[CheckRow]:
    """The Chat app's cards of its own accord: a token as the app (``chat.bot``: finds direct
    messages and posts cards) and, optional, the delegation that sets up a missing direct
    message as the person (``chat.spaces.create``); nothing is posted or set up."""
    try:
        client.chat().authorise()
    except GoogleCallError as exc:
        app = CheckRow("Chat app cards", False, f"no chat.bot token ({exc})",
                       "enable the Google Chat API in the service account's project and "
                       "configure the Chat app there (deploy/google.md, 'Chat app')")
    else:
        project = settings.google.chat_project_number
        app = CheckRow("Chat app cards", True,
                       f"chat.bot token issued for project {project} (nothing posted)")
    name = "Chat direct messages set up as staff (optional)"
    who = settings.google.sender or settings.google.admin_subject
    if not who:
        return [app]
    try:
        client.chat_as(who).authorise()
    except GoogleCallError:
        return [app, CheckRow(
            name, True,
            "not granted: staff without a direct message with the app get email until they "
            "message it (or install the app for all staff). To set theirs up, add "
            f"{CHAT_SETUP_SCOPES[0]} to the service account's domain-wide delegation "
            "(deploy/google.md)")]
    return [app, CheckRow(name, True,
                          f"chat.spaces.create token issued for {who} (nothing set up)")]
