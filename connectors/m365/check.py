"""``compliance-bot check m365``: prove each permission by making the connector's real calls.

Each row names one thing the connector needs, whether it works, what Graph said, and the exact
fix. Reads are real reads (``GET /users?$top=1``, ``/groups`` + members, ``/sites/{site}/lists``,
the form list's columns and items). Mail.Send cannot be read, so it is probed with a
``sendMail`` that has no recipients: Exchange checks the app's right to the mailbox first, so ``400
ErrorInvalidRecipients`` means "allowed" and ``403 ErrorAccessDenied`` "not allowed" — and
nothing can be delivered. The same probe against another mailbox shows whether Mail.Send is
scoped to the sender (it should be refused). Only ``ErrorInvalidRecipients`` counts as
"allowed": any other 400 may come from Graph's request parsing, before Exchange looked at the
permission at all.

Nothing here logs: azure-identity's own WARNING for a failed token request is silenced while the
check runs, because the token row already says what happened and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.core.language.i18n import nsay
from bot.core.language.words import left_out_words
from bot.core.ports import ConnectorError, SetupError, UnreadableResponse
from connectors.checks import (
    ANSWER,
    Answers,
    CheckRow,
    checker,
    in_each,
    pacing_row,
    probe,
    refused,
    row,
    said,
    school_rows,
)
from connectors.m365 import check_said as s
from connectors.m365.check_mail import external, mail_rows
from connectors.m365.client import GraphClient
from connectors.m365.directory import GraphDirectory, find_role_groups
from connectors.m365.errors import ENV, GraphCallError, exception_chain, missing_settings
from connectors.m365.forms import ListFormSource, column_problems
from connectors.m365.mail import DAILY_RECIPIENTS
from connectors.m365.teams_bot import TeamsBot

__all__ = ["CheckRow", "run_checks"]

_AADSTS = re.compile(r"(AADSTS\d+):?\s*([^\r\n\\\"]*)")


def _rows(
    settings: Any, schools: dict[str, str], transport: httpx.AsyncBaseTransport | None = None
) -> Iterator[CheckRow]:
    """The m365 rows in order (``settings``: ``Settings`` or its ``M365Settings``;
    ``transport``: an httpx transport for Graph and tokens, None the network): ``settings``
    first, then ``token``; if either fails, nothing else. Reads only: the Mail.Send probes
    cannot deliver (no recipients) and the Teams webhook is never called (it would post to the
    channel). No row carries a secret or a token."""
    m365 = getattr(settings, "m365", settings)
    missing = missing_settings(m365, "TENANT_ID", "CLIENT_ID")
    if missing:
        yield row(s.SETTINGS, False, s.SETTINGS_MISSING, s.SET_THEM, names=", ".join(missing))
        return
    auth = "certificate" if m365.certificate_path is not None else "secret"
    try:
        client = GraphClient.from_settings(m365, transport=transport)
    except Exception as exc:  # a bad certificate file, a malformed endpoint...
        about = "GRAPH_ENDPOINT" if "graph_endpoint" in str(exc) else "CERTIFICATE_PATH"
        variable, answer = f"{ENV}{about}", f"{type(exc).__name__}: {exc}"
        yield row(s.SETTINGS, False, ANSWER, s.CHECK_SETTING, variable=variable, answer=answer)
        return
    auth_word = partial(said, s.AUTH[auth][0])
    tenant, app = m365.tenant_id, str(m365.client_id)
    yield row(
        s.SETTINGS,
        True,
        s.SETTINGS_OK,
        tenant=tenant,
        app=app,
        auth=auth_word,
        endpoint=client.endpoint,
    )
    with client:
        try:
            client.token()
        except GraphCallError as exc:
            yield _token_failure(exc, m365.authority_host, s.AUTH[auth][1])
            return
        yield row(s.TOKEN, True, s.TOKEN_OK, authority=m365.authority_host)
        read = [
            _probe(
                app,
                "User.Read.All",
                lambda: client.users(select=("id",), top=1, all_pages=False),
                s.WORKS,
                call="GET /users?$top=1",
            ),
            *_groups(client, app, list(m365.role_groups)),
        ]
        yield from read
        if all(row.ok for row in read):  # the directory can be read: say who it reads
            yield from _staff(client, m365)
        ours = {a.casefold() for a in (m365.sender or "", *schools.values()) if a}
        yield from mail_rows(client, app, m365.sender, ours)
        install = m365.sender
        yield from school_rows(
            schools, lambda sender: mail_rows(client, app, sender, ours, install=install or sender)
        )
        yield _site(client, app, m365.site_id, m365.list_name)
        yield _forms(client, m365)
        yield _bot(client, m365, transport, auth)
    yield pacing_row(s.MAIL_PACING, m365, ENV, DAILY_RECIPIENTS, "recipients")
    yield _webhook(m365.teams_webhook_url)


# Loggers that would print a second, less useful copy of a failure the table already shows.
run_checks = checker(_rows, "azure.identity", "msal")


def _bot(client: GraphClient, m365: Any, transport: Any, auth: str) -> CheckRow:
    """The Teams bot: a Bot Connector token with the credential the bot will use (the
    connector's certificate or secret, or the bot's own registration's secret), then its
    consent to install its app for staff (a read probes it)."""
    name, app = s.TEAMS_BOT, str(m365.client_id)
    if not m365.bot_app_id:
        return row(name, True, s.NO_BOT)
    if not m365.teams_catalog_app_id:
        return row(name, False, s.NO_CATALOG_ID, s.UPLOAD_APP)
    try:
        bot = TeamsBot.from_settings(
            m365, transport=transport if isinstance(transport, httpx.BaseTransport) else None
        )
    except SetupError:
        return row(name, False, s.BOT_NO_SECRET, s.SET_BOT_SECRET, bot=m365.bot_app_id, app=app)

    def how() -> str:
        if bot.bot is not None:
            return said(s.BOT_OWN_SECRET)
        if m365.bot_app_secret is not None:
            return said(s.BOT_SECRET_UNUSED, how=lambda: said(s.AUTH[auth][2]), app=app)
        return said(s.AUTH[auth][2])

    try:
        bot.connector_token()
    except ConnectorError as exc:
        own = bot.bot is not None  # the fixes name the bot's own settings
        failed = _token_failure(exc, m365.authority_host, s.THE_SECRET if own else s.AUTH[auth][1])
        fix = failed.fix or ""
        if own:
            fix = fix.replace(f"{ENV}CLIENT_SECRET", f"{ENV}BOT_APP_SECRET").replace(
                f"{ENV}CLIENT_ID", f"{ENV}BOT_APP_ID"
            )
        failure = partial(_token_failure, exc, m365.authority_host, s.AUTH[auth][1])
        return row(
            name,
            False,
            s.NO_BOT_TOKEN,
            ANSWER,
            how=how,
            detail=lambda: failure().detail,
            answer=fix,
        )
    try:
        users = client.users(select=("id",), top=1, all_pages=False)
        user_id = users[0].id if users else None
        if user_id:
            bot.installed_for(str(user_id))
    except ConnectorError as exc:
        permission = "TeamsAppInstallation.ReadWriteSelfForUser.All"
        return row(
            name,
            False,
            s.MISSING,
            s.ALSO_ACTIVITY,
            permission=permission,
            error=str(exc),
            consent=partial(said, s.CONSENT, app=app, permission=permission),
        )
    except GraphCallError as exc:
        return row(name, False, ANSWER, s.AGAIN, answer=str(exc))
    return row(name, True, s.BOT_OK, bot=m365.bot_app_id, how=how)


def _network_error(exc: BaseException) -> BaseException | None:
    """The link of the chain that says the request never got an answer, if there is one
    (a failed token or call reaches here through ``translate_error``, which imported
    azure-core already)."""
    # lazy: azure-core comes with the m365 extra (it may be missing)
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    kinds = (OSError, httpx.TransportError, ServiceRequestError, ServiceResponseError)
    return next((e for e in exception_chain(exc) if isinstance(e, kinds)), None)


def _token_failure(exc: Exception, authority: str, the_auth: str) -> CheckRow:
    """Say whether Entra ID refused (and which AADSTS code) or could not be reached at all;
    ``the_auth`` names the credential ("the client secret", a ``check_said`` sentence).

    azure-identity wraps every failure, a refused connection included, in one error type, so
    the client's message cannot tell them apart; the exception chain can.
    """
    auth = partial(said, the_auth)  # said in each language of the row
    for link in exception_chain(exc):
        found = _AADSTS.search(str(link))
        if found:
            code, told = found.group(1), found.group(2).strip()
            return row(
                s.TOKEN,
                False,
                s.REFUSED_SAID if told else s.REFUSED,
                s.TOKEN_FIXES.get(code, s.TOKEN_CHECK),
                code=code,
                said=told[:300],
                auth=auth,
            )
    cause = _network_error(exc)
    if cause is not None:
        return row(
            s.TOKEN,
            False,
            s.UNREACHED,
            s.REACH,
            authority=authority,
            error=f"{type(cause).__name__}: {str(cause)[:300]}",
        )
    root = list(exception_chain(exc))[-1]
    return row(
        s.TOKEN,
        False,
        s.NO_TOKEN,
        s.REACH_THEN,
        authority=authority,
        auth=auth,
        error=f"{type(root).__name__}: {str(root)[:300]}",
    )


def _probe(
    app: str, name: str, call: Callable[[], object], ok: str, /, **values: object
) -> CheckRow:
    """Run a read that needs permission ``name``; 401/403 means it is missing (``ok``: the
    row's sentence when it works, said with ``values``)."""
    answers: Answers = {(401, 403): (s.MISSING, s.CONSENT)}
    return probe(name, call, ok, answers, (ANSWER, s.AGAIN), app=app, permission=name, **values)


def _groups(client: GraphClient, app: str, names: list[str]) -> list[CheckRow]:
    def read() -> None:
        groups = client.groups(select=("id", "displayName"), top=1, all_pages=False)
        if groups:
            client.group_member_ids(groups[0].id, top=1)

    first = _probe(
        app, "GroupMember.Read.All", read, s.WORKS_WITH_MEMBERS, call="GET /groups?$top=1"
    )
    if not first.ok or not names:
        return [first]
    try:
        missing = sorted(set(names) - set(find_role_groups(client, names).values()))
    except GraphCallError as exc:
        return [first, row(s.ROLE_GROUPS, False, ANSWER, answer=str(exc))]
    if not missing:
        return [first, row(s.ROLE_GROUPS, True, s.GROUPS_FOUND, count=len(names))]
    listed = ", ".join(repr(n) for n in missing)
    return [first, row(s.ROLE_GROUPS, False, s.GROUPS_NOT_FOUND, s.GROUP_NAMES, names=listed)]


def _staff(client: GraphClient, m365: Any) -> list[CheckRow]:
    """Who the directory reads as people, and the accounts it leaves out (guests, accounts
    without a licence) with the settings that bring them in, naming those with no mailbox."""
    try:
        changes = GraphDirectory.from_settings(client, m365).fetch(None)
    except (ConnectorError, GraphCallError) as exc:
        return [row(s.DIRECTORY, False, ANSWER, s.SEE_SECTION_5, answer=str(exc))]
    here = sum(1 for p in changes.people if p.active)
    brought_in = [
        f"{ENV}{name}=true"
        for name, on in (
            ("INCLUDE_GUESTS", m365.include_guests),
            ("INCLUDE_UNLICENSED", m365.include_unlicensed),
        )
        if on
    ]

    def detail() -> str:  # said whole in each language (``in_each``)
        read = nsay(
            "%(count)s person read; left out: %(left_out)s",
            "%(count)s people read; left out: %(left_out)s",
            here,
            count=here,
            left_out=left_out_words(changes.left_out or {}),
        )
        if brought_in:
            read = said(s.BROUGHT_IN, read=read, settings=", ".join(brought_in))
        elif changes.left_out:
            read = said(s.BRINGS_IN, read=read)
        if changes.no_mailbox:
            read = said(s.NO_MAILBOX, read=read, names=", ".join(changes.no_mailbox))
        return read

    return [
        row(s.DIRECTORY, True, ANSWER, answer=in_each(detail)),
        external(client, m365.sender, changes.people),
    ]


def _site(client: GraphClient, app: str, site_id: str | None, list_name: str) -> CheckRow:
    name = "Sites.Selected"
    if not site_id:
        return row(name, True, s.NO_SITE)
    try:
        exists = client.find_list(site_id, list_name) is not None
    except GraphCallError as exc:
        grant = (
            said(s.GRANT_SITE, consent=partial(said, s.CONSENT, app=app, permission=name)) + "\n"
            f"  POST {client.endpoint}/sites/{site_id}/permissions\n"
            '  {"roles": ["write"], "grantedToIdentities": [{"application": '
            f'{{"id": "{app}", "displayName": "compliance-bot"}}}}]}}'
        )
        return refused(
            name,
            exc,
            {(401, 403): (s.SITE_NOT_GRANTED, ANSWER), (400, 404): (s.SITE_NOT_FOUND, s.SET_SITE)},
            (ANSWER, s.AGAIN),
            answer=grant,
        )
    return row(name, True, s.SITE_EXISTS if exists else s.SITE_CREATES, list=repr(list_name))


def _forms(client: GraphClient, m365: Any) -> CheckRow:
    name = s.FORM_LIST
    if not (m365.site_id and m365.forms_list):
        return row(name, True, s.NO_FORM)
    listed = repr(m365.forms_list)
    try:
        match = client.find_list(m365.site_id, m365.forms_list)
        if match is None:
            return row(name, False, s.NO_LIST, s.MAKE_FORM, list=listed)
        problems = column_problems(client.columns(m365.site_id, match.id))
        if problems:
            return row(
                name,
                False,
                s.LIST_PROBLEMS,
                s.ADD_COLUMNS,
                list=listed,
                problems="; ".join(problems),
            )
        read = ListFormSource(client, m365.site_id, m365.forms_list).responses(None)
    except GraphCallError as exc:
        return refused(
            name, exc, {(401, 403): (s.LIST_UNREADABLE, s.GRANT_LIST_SITE)}, (ANSWER, s.CHECK_LIST)
        )
    except ConnectorError as exc:
        return row(name, False, ANSWER, s.CHECK_LIST, answer=str(exc))
    bad = [r for r in read if isinstance(r, UnreadableResponse)]
    if bad:
        return row(
            name,
            False,
            s.BAD_RESPONSES,
            s.CORRECT_ITEMS,
            bad=len(bad),
            count=len(read),
            problems="; ".join(f"{b.where}: {b.problem}" for b in bad[:5])
            + ("; ..." if len(bad) > 5 else ""),
        )
    return row(name, True, s.LIST_OK, list=listed, count=len(read))


def _webhook(url: Any) -> CheckRow:
    name = s.TEAMS_WEBHOOK
    if url is None:
        return row(name, True, s.NO_WEBHOOK)
    parts = urlsplit(url.get_secret_value())
    if parts.scheme != "https" or "sig" not in parse_qs(parts.query):
        return row(name, False, s.NOT_WORKFLOWS, s.COPY_WORKFLOWS, host=parts.hostname)
    return row(name, True, s.WEBHOOK_OK, host=parts.hostname)
