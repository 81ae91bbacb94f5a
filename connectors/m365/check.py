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

import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.core.i18n import nsay, speaking
from bot.core.ports import ConnectorError, SetupError, UnreadableResponse
from bot.core.words import left_out_words
from connectors.base import ANSWER, CheckRow, in_each, pacing_row, row, said, school_rows
from connectors.m365 import check_said as s
from connectors.m365.client import GraphClient
from connectors.m365.directory import GraphDirectory, find_role_groups
from connectors.m365.errors import ENV, GraphCallError, exception_chain, missing_settings
from connectors.m365.forms import ListFormSource, column_problems
from connectors.m365.mail import DAILY_RECIPIENTS
from connectors.m365.teams_bot import TeamsBot

__all__ = ["CheckRow", "rbac_fix", "run_checks"]


# Exchange validates the message only after it checked the app's right to the mailbox.
ALLOWED_PROBE_CODE = "ErrorInvalidRecipients"
# Loggers that would print a second, less useful copy of a failure the table already shows.
QUIET_LOGGERS = ("azure.identity", "msal")
_AADSTS = re.compile(r"(AADSTS\d+):?\s*([^\r\n\\\"]*)")


def rbac_fix(client_id: str, sender: str, *others: str) -> str:
    """Exchange Online PowerShell that scopes Mail.Send to the sender (RBAC for Applications);
    with ``others`` (the schools' own mailboxes), one scope listing every one of them. Its
    sentence in the language spoken; the commands as PowerShell takes them."""
    if others:
        listed = " -or ".join(f"PrimarySmtpAddress -eq '{a}'" for a in (sender, *others))
        return (
            said(s.RBAC_MANY, sender=sender) + "\n"
            "  Connect-ExchangeOnline\n"
            '  Set-ManagementScope -Identity "compliance-bot sender" '
            f'-RecipientRestrictionFilter "{listed}"\n'
            f"  Test-ServicePrincipalAuthorization -Identity {client_id} -Resource {others[0]}"
        )
    return (
        said(s.RBAC_ONE, sender=sender) + "\n"
        "  Connect-ExchangeOnline\n"
        f"  New-ServicePrincipal -AppId {client_id} -ObjectId <enterprise-app-object-id> "
        '-DisplayName "compliance-bot"\n'
        '  New-ManagementScope -Name "compliance-bot sender" '
        f"-RecipientRestrictionFilter \"PrimarySmtpAddress -eq '{sender}'\"\n"
        f'  New-ManagementRoleAssignment -App {client_id} -Role "Application Mail.Send" '
        '-CustomResourceScope "compliance-bot sender"\n'
        f"  Test-ServicePrincipalAuthorization -Identity {client_id} -Resource {sender}"
    )


def _consent(app: str, permission: str) -> str:
    return said(s.CONSENT, app=app, permission=permission)


def _refused(
    name: str,
    exc: GraphCallError,
    answers: Mapping[tuple[int, ...], tuple[str, str]],
    other: tuple[str, str] = (ANSWER, s.AGAIN),
    **values: object,
) -> CheckRow:
    """The row of a call Graph refused: the (detail, fix) sentences of ``answers`` for its
    status, else ``other`` (by default Graph's answer, and to run the check again), said with
    ``values`` and Graph's answer (``error``, ``answer``)."""
    detail, fix = next(
        (answer for statuses, answer in answers.items() if exc.status in statuses), other
    )
    return row(name, False, detail, fix, **{"error": str(exc), "answer": str(exc), **values})


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Drop the named loggers' records (and their children's) for the duration."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def run_checks(
    settings: Any,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    schools: Mapping[str, str] | None = None,
    language: str = "en",
) -> list[CheckRow]:
    """Check the m365 setup; returns rows in order, stopping early when nothing else can work.

    Reads only: the Mail.Send probes cannot deliver (no recipients) and the Teams webhook is
    never called (it would post to the channel). No row carries a secret or a token.

    Args:
        settings: ``Settings`` (or its ``M365Settings``).
        transport: an httpx transport for Graph and tokens (tests); None means the network.
        schools: the schools with a mailbox of their own, name -> mailbox (``sender`` in
            school.yaml): each is checked as the install's sender is, its rows named for it.
        language: the language of the schools on the tenant (``en``, ``cy``, ``cy+en``): the
            rows' own sentences are said in it (``check_said``), Microsoft's words as they are.

    Returns:
        One row per check: ``settings`` first, then ``token``; if either fails, nothing else.
    """
    with _quiet(*QUIET_LOGGERS), speaking(language):
        return _run(getattr(settings, "m365", settings), transport, dict(schools or {}))


def _run(
    m365: Any, transport: httpx.AsyncBaseTransport | None, schools: dict[str, str]
) -> list[CheckRow]:
    missing = missing_settings(m365, "TENANT_ID", "CLIENT_ID")
    if missing:
        return [row(s.SETTINGS, False, s.SETTINGS_MISSING, s.SET_THEM, names=", ".join(missing))]
    auth = "certificate" if m365.certificate_path is not None else "secret"
    try:
        client = GraphClient.from_settings(m365, transport=transport)
    except Exception as exc:  # a bad certificate file, a malformed endpoint...
        about = "GRAPH_ENDPOINT" if "graph_endpoint" in str(exc) else "CERTIFICATE_PATH"
        return [row(s.SETTINGS, False, ANSWER, s.CHECK_SETTING, variable=f"{ENV}{about}",
                    answer=f"{type(exc).__name__}: {exc}")]
    rows = [row(s.SETTINGS, True, s.SETTINGS_OK, tenant=m365.tenant_id, app=m365.client_id,
                auth=partial(said, s.AUTH[auth][0]), endpoint=client.endpoint)]
    with client:
        try:
            client.token()
        except GraphCallError as exc:
            rows.append(_token_failure(exc, m365.authority_host, s.AUTH[auth][1]))
            return rows
        rows.append(row(s.TOKEN, True, s.TOKEN_OK, authority=m365.authority_host))
        app = str(m365.client_id)
        read = [
            _probe(app, "User.Read.All",
                   lambda: client.users(select=("id",), top=1, all_pages=False), s.WORKS,
                   call="GET /users?$top=1"),
            *_groups(client, app, list(m365.role_groups)),
        ]
        rows += read
        if all(row.ok for row in read):  # the directory can be read: say who it reads
            rows += _staff(client, m365)
        ours = {a.casefold() for a in (m365.sender or "", *schools.values()) if a}
        rows.extend(_mail(client, app, m365.sender, ours))
        rows += school_rows(
            schools, lambda sender: _mail(client, app, sender, ours, install=m365.sender or sender)
        )
        rows.append(_site(client, app, m365.site_id, m365.list_name))
        rows.append(_forms(client, m365))
        rows.append(_bot(client, m365, transport, auth))
    rows.append(pacing_row(s.MAIL_PACING, m365, ENV, DAILY_RECIPIENTS, "recipients"))
    rows.append(_webhook(m365.teams_webhook_url))
    return rows


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
        failed = _token_failure(exc, m365.authority_host,
                                s.THE_SECRET if own else s.AUTH[auth][1])
        fix = failed.fix or ""
        if own:
            fix = fix.replace(f"{ENV}CLIENT_SECRET", f"{ENV}BOT_APP_SECRET").replace(
                f"{ENV}CLIENT_ID", f"{ENV}BOT_APP_ID"
            )
        failure = partial(_token_failure, exc, m365.authority_host, s.AUTH[auth][1])
        return row(name, False, s.NO_BOT_TOKEN, ANSWER, how=how,
                   detail=lambda: failure().detail, answer=fix)
    try:
        users = client.users(select=("id",), top=1, all_pages=False)
        user_id = users[0].id if users else None
        if user_id:
            bot.installed_for(str(user_id))
    except ConnectorError as exc:
        permission = "TeamsAppInstallation.ReadWriteSelfForUser.All"
        return row(name, False, s.MISSING, s.ALSO_ACTIVITY, permission=permission,
                   error=str(exc), consent=lambda: _consent(app, permission))
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
            return row(s.TOKEN, False, s.REFUSED_SAID if told else s.REFUSED,
                       s.TOKEN_FIXES.get(code, s.TOKEN_CHECK), code=code, said=told[:300],
                       auth=auth)
    cause = _network_error(exc)
    if cause is not None:
        return row(s.TOKEN, False, s.UNREACHED, s.REACH, authority=authority,
                   error=f"{type(cause).__name__}: {str(cause)[:300]}")
    root = list(exception_chain(exc))[-1]
    return row(s.TOKEN, False, s.NO_TOKEN, s.REACH_THEN, authority=authority, auth=auth,
               error=f"{type(root).__name__}: {str(root)[:300]}")


def _probe(app: str, name: str, call: Callable[[], object], ok: str, /, **values: object
           ) -> CheckRow:
    """Run a read that needs permission ``name``; 401/403 means it is missing (``ok``: the
    row's sentence when it works, said with ``values``)."""
    try:
        call()
    except GraphCallError as exc:
        return _refused(name, exc, {(401, 403): (s.MISSING, s.CONSENT)}, app=app,
                        permission=name)
    return row(name, True, ok, **values)


def _groups(client: GraphClient, app: str, names: list[str]) -> list[CheckRow]:
    def read() -> None:
        groups = client.groups(select=("id", "displayName"), top=1, all_pages=False)
        if groups:
            client.group_member_ids(groups[0].id, top=1)

    first = _probe(app, "GroupMember.Read.All", read, s.WORKS_WITH_MEMBERS,
                   call="GET /groups?$top=1")
    if not first.ok or not names:
        return [first]
    try:
        found = set(find_role_groups(client, names).values())
    except GraphCallError as exc:
        return [first, row(s.ROLE_GROUPS, False, ANSWER, answer=str(exc))]
    missing = sorted(set(names) - found)
    if missing:
        return [first, row(s.ROLE_GROUPS, False, s.GROUPS_NOT_FOUND, s.GROUP_NAMES,
                           names=", ".join(repr(n) for n in missing))]
    return [first, row(s.ROLE_GROUPS, True, s.GROUPS_FOUND, count=len(names))]


def terrl(licences: int) -> int:
    """Exchange Online's tenant external recipient rate limit (TERRL): recipients outside the
    tenant's accepted domains the whole tenant may send to in a rolling 24 hours, 500 ×
    (paid licences)^0.7 + 9,500 (past it Exchange accepts, then bounces with 5.7.233)."""
    allowance: float = 500 * float(max(licences, 0)) ** 0.7 + 9_500
    return round(allowance)


def _external(client: GraphClient, sender: str | None, people: Sequence[Any]) -> CheckRow:
    """The tenant's TERRL allowance, estimated from its licensed accounts, against what the
    bot may send outside the tenant in a day (one message to each external person)."""
    try:
        licences = sum(
            1 for u in client.users(select=("id", "assignedLicenses"), top=999) if u.licensed
        )
    except GraphCallError as exc:
        return row(s.EXTERNAL, False, s.LICENCES_NOT_COUNTED, error=str(exc))
    domain = (sender or "").rpartition("@")[2].casefold()
    external = sum(
        1 for p in people if p.active and p.email.rpartition("@")[2].casefold() != domain
    )
    return external_row(licences, external, domain)


def external_row(licences: int, external: int, domain: str) -> CheckRow:
    """The TERRL row: ``external`` people outside ``domain`` against the tenant's allowance
    for ``licences`` licensed accounts (a warning past half of it)."""
    allowance = terrl(licences)
    spread = external > allowance // 2
    return row(s.EXTERNAL, not spread, s.TERRL, s.SPREAD if spread else None,
               allowance=f"{allowance:,}", licences=f"{licences:,}", domain=domain,
               external=f"{external:,}")


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
        _external(client, m365.sender, changes.people),
    ]


def _mail(
    client: GraphClient, app: str, sender: str | None, ours: set[str], install: str | None = None
) -> list[CheckRow]:
    """The sending mailbox's rows (``ours``: every mailbox the bot sends from, none of which
    is "another mailbox" to the scope's probe; ``install``: the install's sender, when this is
    a school's own mailbox, which the app may not send as while outside its Mail.Send scope)."""
    if not sender:
        return [row(s.SENDER_MAILBOX, False, s.NO_SENDER, s.SET_SENDER)]
    try:
        client.user(sender, select=("id", "mail", "userPrincipalName"))
    except GraphCallError as exc:
        if exc.status == 404:
            return [row(s.SENDER_MAILBOX, False, s.NO_SUCH_SENDER, s.EXISTING_SENDER,
                        sender=sender, error=str(exc))]
        # Without User.Read.All the lookup fails (that row says so); the probe still tells.
    probe = _send_probe(client, app, sender, install)
    if not probe.ok:
        return [probe]
    return [probe, _scope(client, app, sender, ours), _sent_items(client, sender)]


def _sent_items(client: GraphClient, sender: str) -> CheckRow:
    """Optional: whether an unknown send outcome can be looked up in Sent Items."""
    name, permission = s.OPTIONAL, "Mail.ReadBasic.All"
    try:
        client.sent_message_id(sender, "<compliance-bot-check@invalid>")
    except GraphCallError as exc:
        return row(name, True, s.NO_SENT_ITEMS, permission=permission, sender=sender,
                   error=str(exc.status or exc))
    return row(name, True, s.SENT_ITEMS, permission=permission, sender=sender)


def _send_probe(client: GraphClient, app: str, sender: str, install: str | None) -> CheckRow:
    """Mail.Send as ``sender``; refused for a school's own mailbox (``install``: the install's
    sender), the mailbox is outside the app's scope, and the fix widens the scope to it."""
    name = "Mail.Send"
    try:
        client.send_probe(sender)
    except GraphCallError as exc:
        if exc.status == 400 and exc.code == ALLOWED_PROBE_CODE:
            return row(name, True, s.MAY_SEND_PROBED, sender=sender, code=exc.code)
        scoped = (
            (s.OUTSIDE_SCOPE, ANSWER, rbac_fix(app, install, sender))
            if install
            else (s.SEND_MISSING, ANSWER, rbac_fix(app, sender) + "\n"
                  + said(s.SEND_ANY, consent=lambda: _consent(app, "Mail.Send").rstrip(".")))
        )
        return _refused(
            name, exc,
            {(401, 403): scoped[:2], (404,): (s.NO_EXCHANGE, s.LICENSED_SENDER)},
            (s.COULD_NOT_TELL, s.AGAIN), sender=sender, answer=scoped[2],
        )
    # A probe cannot be accepted (it has no recipients); if it was, nothing could be delivered.
    return row(name, True, s.MAY_SEND, sender=sender)


def _scope(client: GraphClient, app: str, sender: str, ours: set[str]) -> CheckRow:
    name, permission = s.SCOPE, "Mail.Send"
    mine = ours | {sender.casefold()}
    try:
        users = client.users(select=("id", "mail", "userPrincipalName"), top=10, all_pages=False)
        others = [
            u
            for u in users
            if u.mail and not mine & {u.mail.casefold(), (u.user_principal_name or "").casefold()}
        ]
    except GraphCallError as exc:
        return row(name, True, s.NOT_LISTED, permission=permission, status=exc.status)
    if not others:
        return row(name, True, s.NO_OTHER, permission=permission)
    other = others[0]
    try:
        client.send_probe(other.id)
    except GraphCallError as exc:
        if exc.status in (401, 403):
            return row(name, True, s.SCOPED, permission=permission)
        if not (exc.status == 400 and exc.code == ALLOWED_PROBE_CODE):
            return row(name, True, s.NOT_TESTED, permission=permission, status=exc.status,
                       code=exc.code)
    # the probe was let through (or refused only for its lack of recipients)
    return row(name, False, s.TENANT_WIDE, ANSWER, permission=permission, mailbox=other.mail,
               answer=rbac_fix(app, sender) + "\n" + said(s.REMOVE_GRANT, app=app))


def _site(client: GraphClient, app: str, site_id: str | None, list_name: str) -> CheckRow:
    name = "Sites.Selected"
    if not site_id:
        return row(name, True, s.NO_SITE)
    try:
        exists = client.find_list(site_id, list_name) is not None
    except GraphCallError as exc:
        grant = (
            said(s.GRANT_SITE, consent=lambda: _consent(app, "Sites.Selected")) + "\n"
            f"  POST {client.endpoint}/sites/{site_id}/permissions\n"
            '  {"roles": ["write"], "grantedToIdentities": [{"application": '
            f'{{"id": "{app}", "displayName": "compliance-bot"}}}}]}}'
        )
        return _refused(
            name, exc,
            {(401, 403): (s.SITE_NOT_GRANTED, ANSWER), (400, 404): (s.SITE_NOT_FOUND, s.SET_SITE)},
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
            return row(name, False, s.LIST_PROBLEMS, s.ADD_COLUMNS, list=listed,
                       problems="; ".join(problems))
        read = ListFormSource(client, m365.site_id, m365.forms_list).responses(None)
    except GraphCallError as exc:
        return _refused(name, exc, {(401, 403): (s.LIST_UNREADABLE, s.GRANT_LIST_SITE)},
                        (ANSWER, s.CHECK_LIST))
    except ConnectorError as exc:
        return row(name, False, ANSWER, s.CHECK_LIST, answer=str(exc))
    bad = [r for r in read if isinstance(r, UnreadableResponse)]
    if bad:
        return row(name, False, s.BAD_RESPONSES, s.CORRECT_ITEMS, bad=len(bad), count=len(read),
                   problems="; ".join(f"{b.where}: {b.problem}" for b in bad[:5])
                   + ("; ..." if len(bad) > 5 else ""))
    return row(name, True, s.LIST_OK, list=listed, count=len(read))


def _webhook(url: Any) -> CheckRow:
    name = s.TEAMS_WEBHOOK
    if url is None:
        return row(name, True, s.NO_WEBHOOK)
    parts = urlsplit(url.get_secret_value())
    if parts.scheme != "https" or "sig" not in parse_qs(parts.query):
        return row(name, False, s.NOT_WORKFLOWS, s.COPY_WORKFLOWS, host=parts.hostname)
    return row(name, True, s.WEBHOOK_OK, host=parts.hostname)
