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
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.core.ports import ConnectorError, SetupError, UnreadableResponse, left_out_words
from connectors.base import CheckRow, pacing_row, school_rows
from connectors.m365.client import GraphClient
from connectors.m365.directory import GraphDirectory, find_role_groups
from connectors.m365.errors import ENV, GraphCallError, exception_chain, missing_settings
from connectors.m365.forms import ListFormSource, column_problems
from connectors.m365.mail import DAILY_RECIPIENTS
from connectors.m365.teams_bot import TeamsBot

__all__ = ["CheckRow", "rbac_fix", "run_checks"]


CONSENT = (
    "Entra admin centre > App registrations > {app} > API permissions > Add a permission > "
    "Microsoft Graph > Application permissions > {permission}, then 'Grant admin consent'."
)
TOKEN_FIXES = {
    "AADSTS7000215": f"The client secret is wrong: copy the secret's Value (not its ID) into "
    f"{ENV}CLIENT_SECRET, or create a new one under Certificates & secrets.",
    "AADSTS7000222": f"The client secret has expired: create a new one and update "
    f"{ENV}CLIENT_SECRET.",
    "AADSTS700016": f"No app with this id in the tenant: check {ENV}CLIENT_ID and {ENV}TENANT_ID.",
    "AADSTS90002": f"Tenant not found: check {ENV}TENANT_ID (and {ENV}AUTHORITY_HOST for "
    "national clouds).",
    "AADSTS900023": f"{ENV}TENANT_ID is not a valid tenant id or domain.",
    "AADSTS700027": "The certificate is not registered on the app: upload its public key under "
    "Certificates & secrets.",
    "AADSTS700024": "The client assertion is out of date: check this machine's clock.",
}
TOKEN_FIXES["AADSTS500011"] = TOKEN_FIXES["AADSTS1002012"] = (
    f"{ENV}GRAPH_ENDPOINT and {ENV}AUTHORITY_HOST must be in the same cloud "
    "(e.g. graph.microsoft.us with login.microsoftonline.us)."
)
AGAIN = "Run the check again; see deploy/m365.md."
# Exchange validates the message only after it checked the app's right to the mailbox.
ALLOWED_PROBE_CODE = "ErrorInvalidRecipients"
# Loggers that would print a second, less useful copy of a failure the table already shows.
QUIET_LOGGERS = ("azure.identity", "msal")
_AADSTS = re.compile(r"(AADSTS\d+):?\s*([^\r\n\\\"]*)")


def rbac_fix(client_id: str, sender: str, *others: str) -> str:
    """Exchange Online PowerShell that scopes Mail.Send to the sender (RBAC for Applications);
    with ``others`` (the schools' own mailboxes), one scope listing every one of them."""
    if others:
        listed = " -or ".join(f"PrimarySmtpAddress -eq '{a}'" for a in (sender, *others))
        return (
            f"Give the app Mail.Send for {sender} and the schools' own mailboxes only, with "
            "Exchange Online RBAC for Applications: one management scope listing every sender "
            "(or members of a mail-enabled security group: MemberOfGroup -eq '<group DN>'; "
            "deploy/m365.md):\n"
            "  Connect-ExchangeOnline\n"
            '  Set-ManagementScope -Identity "compliance-bot sender" '
            f'-RecipientRestrictionFilter "{listed}"\n'
            f"  Test-ServicePrincipalAuthorization -Identity {client_id} -Resource {others[0]}"
        )
    return (
        f"Give the app Mail.Send for {sender} only, with Exchange Online RBAC for Applications "
        "(the object id is under Entra admin centre > Enterprise applications):\n"
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
    return CONSENT.format(app=app, permission=permission)


def _refused(
    name: str,
    exc: GraphCallError,
    answers: Mapping[tuple[int, ...], tuple[str, str]],
    other: tuple[str, str] | None = None,
) -> CheckRow:
    """The row of a call Graph refused: the (detail, fix) of ``answers`` for its status, else
    ``other`` (by default Graph's answer, and to run the check again)."""
    detail, fix = next(
        (answer for statuses, answer in answers.items() if exc.status in statuses),
        other or (str(exc), AGAIN),
    )
    return CheckRow(name, False, detail, fix)


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
) -> list[CheckRow]:
    """Check the m365 setup; returns rows in order, stopping early when nothing else can work.

    Reads only: the Mail.Send probes cannot deliver (no recipients) and the Teams webhook is
    never called (it would post to the channel). No row carries a secret or a token.

    Args:
        settings: ``Settings`` (or its ``M365Settings``).
        transport: an httpx transport for Graph and tokens (tests); None means the network.
        schools: the schools with a mailbox of their own, name -> mailbox (``sender`` in
            school.yaml): each is checked as the install's sender is, its rows named for it.

    Returns:
        One row per check: ``settings`` first, then ``token``; if either fails, nothing else.
    """
    with _quiet(*QUIET_LOGGERS):
        return _run(getattr(settings, "m365", settings), transport, dict(schools or {}))


def _run(
    m365: Any, transport: httpx.AsyncBaseTransport | None, schools: dict[str, str]
) -> list[CheckRow]:
    missing = missing_settings(m365, "TENANT_ID", "CLIENT_ID")
    if missing:
        return [
            CheckRow(
                "settings",
                False,
                "missing: " + ", ".join(missing),
                "Set them in the environment or .env (see deploy/m365.md).",
            )
        ]
    auth = "certificate" if m365.certificate_path is not None else "client secret"
    try:
        client = GraphClient.from_settings(m365, transport=transport)
    except Exception as exc:  # a bad certificate file, a malformed endpoint...
        about = "GRAPH_ENDPOINT" if "graph_endpoint" in str(exc) else "CERTIFICATE_PATH"
        return [
            CheckRow(
                "settings",
                False,
                f"{type(exc).__name__}: {exc}",
                f"Check {ENV}{about} (see deploy/m365.md).",
            )
        ]
    rows = [
        CheckRow(
            "settings",
            True,
            f"tenant {m365.tenant_id}, app {m365.client_id}, {auth}, Graph {client.endpoint}",
        )
    ]
    with client:
        try:
            client.token()
        except GraphCallError as exc:
            rows.append(_token_failure(exc, m365.authority_host, auth))
            return rows
        rows.append(CheckRow("token", True, f"app-only token issued by {m365.authority_host}"))
        app = str(m365.client_id)
        read = [
            _probe(
                app,
                "User.Read.All",
                lambda: client.users(select=("id",), top=1, all_pages=False),
                "GET /users?$top=1 works",
            ),
            *_groups(client, app, list(m365.role_groups)),
        ]
        rows += read
        if all(row.ok for row in read):  # the directory can be read: say who it reads
            rows += _staff(client, m365)
        ours = {s.casefold() for s in (m365.sender or "", *schools.values()) if s}
        rows.extend(_mail(client, app, m365.sender, ours))
        rows += school_rows(schools, lambda sender: (
            _outside_scope(row, app, m365.sender, sender)
            for row in _mail(client, app, sender, ours)))
        rows.append(_site(client, app, m365.site_id, m365.list_name))
        rows.append(_forms(client, m365))
        rows.append(_bot(client, m365, transport, auth))
    rows.append(pacing_row("mail pacing", m365, ENV, DAILY_RECIPIENTS, "recipients"))
    rows.append(_webhook(m365.teams_webhook_url))
    return rows


def _bot(client: GraphClient, m365: Any, transport: Any, auth: str) -> CheckRow:
    """The Teams bot: a Bot Connector token with the credential the bot will use (the
    connector's certificate or secret, or the bot's own registration's secret), then its
    consent to install its app for staff (a read probes it)."""
    name = "Teams bot"
    app = str(m365.client_id)
    if not m365.bot_app_id:
        return CheckRow(name, True, f"not configured: webhook mode ({ENV}BOT_APP_ID)")
    if not m365.teams_catalog_app_id:
        return CheckRow(
            name,
            False,
            f"{ENV}TEAMS_CATALOG_APP_ID is not set",
            "Upload the app in the Teams admin centre and copy its App ID "
            "(deploy/teams/bot.md, section 4).",
        )
    try:
        bot = TeamsBot.from_settings(
            m365, transport=transport if isinstance(transport, httpx.BaseTransport) else None
        )
    except SetupError:
        return CheckRow(
            name,
            False,
            f"the bot {m365.bot_app_id} is an app registration of its own (not {app}) and "
            f"{ENV}BOT_APP_SECRET is not set: it cannot get a Bot Connector token",
            f"Set {ENV}BOT_APP_SECRET to a client secret of app {m365.bot_app_id} (Entra admin "
            "centre > App registrations > the bot's app > Certificates & secrets), or set "
            f"{ENV}BOT_APP_ID to {app} if the bot is that registration.",
        )
    if bot.bot is not None:
        how = f"its own app registration's secret ({ENV}BOT_APP_SECRET)"
    else:
        how = f"the connector's {auth}" + (
            f"; {ENV}BOT_APP_SECRET is not used (the bot is app {app})"
            if m365.bot_app_secret is not None
            else ""
        )
    try:
        bot.connector_token()
    except ConnectorError as exc:
        row = _token_failure(exc, m365.authority_host, auth)
        fix = row.fix or ""
        if bot.bot is not None:  # the fixes name the bot's own settings
            fix = (
                fix.replace(f"{ENV}CLIENT_SECRET", f"{ENV}BOT_APP_SECRET")
                .replace(f"{ENV}CLIENT_ID", f"{ENV}BOT_APP_ID")
                .replace(f"the {auth}", "the secret")
            )
        return CheckRow(name, False, f"no Bot Connector token with {how}: {row.detail}", fix)
    try:
        users = client.users(select=("id",), top=1, all_pages=False)
        user_id = users[0].id if users else None
        if user_id:
            bot.installed_for(str(user_id))
    except ConnectorError as exc:
        return CheckRow(
            name,
            False,
            f"TeamsAppInstallation.ReadWriteSelfForUser.All missing: {exc}",
            _consent(app, "TeamsAppInstallation.ReadWriteSelfForUser.All")
            + " Also grant TeamsActivity.Send (deploy/teams/bot.md, section 2).",
        )
    except GraphCallError as exc:
        return CheckRow(name, False, str(exc), AGAIN)
    return CheckRow(
        name,
        True,
        f"bot {m365.bot_app_id} gets its Bot Connector token with "
        f"{how}, and may install its app for staff; TeamsActivity.Send and "
        "TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All cannot be read "
        "without sending or installing: check they are granted",
    )


def _network_error(exc: BaseException) -> BaseException | None:
    """The link of the chain that says the request never got an answer, if there is one
    (a failed token or call reaches here through ``translate_error``, which imported
    azure-core already)."""
    # lazy: azure-core comes with the m365 extra (it may be missing)
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    kinds = (OSError, httpx.TransportError, ServiceRequestError, ServiceResponseError)
    return next((e for e in exception_chain(exc) if isinstance(e, kinds)), None)


def _token_failure(exc: Exception, authority: str, auth: str) -> CheckRow:
    """Say whether Entra ID refused (and which AADSTS code) or could not be reached at all.

    azure-identity wraps every failure, a refused connection included, in one error type, so
    the client's message cannot tell them apart; the exception chain can.
    """
    for link in exception_chain(exc):
        found = _AADSTS.search(str(link))
        if found:
            code, said = found.group(1), found.group(2).strip()
            fix = TOKEN_FIXES.get(code) or (
                f"Check {ENV}TENANT_ID, {ENV}CLIENT_ID and the {auth}; see deploy/m365.md."
            )
            detail = f"Entra ID refused the token request: {code}" + (
                f" — {said[:300]}" if said else ""
            )
            return CheckRow("token", False, detail, fix)
    reach = (
        f"Check this machine can reach {authority} over HTTPS (DNS, firewall; behind a proxy "
        "set HTTPS_PROXY)."
    )
    cause = _network_error(exc)
    if cause is not None:
        return CheckRow(
            "token",
            False,
            f"could not reach {authority}: {type(cause).__name__}: {str(cause)[:300]}",
            reach,
        )
    root = list(exception_chain(exc))[-1]
    return CheckRow(
        "token",
        False,
        f"no token: {type(root).__name__}: {str(root)[:300]}",
        f"{reach} Then check {ENV}TENANT_ID, {ENV}CLIENT_ID and the {auth}.",
    )


def _probe(app: str, name: str, call: Callable[[], object], ok_detail: str) -> CheckRow:
    """Run a read that needs permission ``name``; 401/403 means it is missing."""
    try:
        call()
    except GraphCallError as exc:
        return _refused(name, exc, {(401, 403): (f"{name} missing: {exc}", _consent(app, name))})
    return CheckRow(name, True, ok_detail)


def _groups(client: GraphClient, app: str, names: list[str]) -> list[CheckRow]:
    def read() -> None:
        groups = client.groups(select=("id", "displayName"), top=1, all_pages=False)
        if groups:
            client.group_member_ids(groups[0].id, top=1)

    row = _probe(app, "GroupMember.Read.All", read, "GET /groups?$top=1 and its members work")
    if not row.ok or not names:
        return [row]
    try:
        found = set(find_role_groups(client, names).values())
    except GraphCallError as exc:
        return [row, CheckRow("role groups", False, str(exc), None)]
    missing = sorted(set(names) - found)
    if missing:
        return [
            row,
            CheckRow(
                "role groups",
                False,
                "not found: " + ", ".join(repr(n) for n in missing),
                f"Use the groups' exact display names as the keys of {ENV}ROLE_GROUPS.",
            ),
        ]
    return [row, CheckRow("role groups", True, f"all {len(names)} found")]


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
        return CheckRow("external recipients", False, f"licences not counted: {exc}")
    domain = (sender or "").rpartition("@")[2].casefold()
    external = sum(
        1 for p in people if p.active and p.email.rpartition("@")[2].casefold() != domain
    )
    return external_row(licences, external, domain)


def external_row(licences: int, external: int, domain: str) -> CheckRow:
    """The TERRL row: ``external`` people outside ``domain`` against the tenant's allowance
    for ``licences`` licensed accounts (a warning past half of it)."""
    allowance = terrl(licences)
    detail = (
        f"the tenant may send to about {allowance:,} recipients outside it in 24 hours "
        f"(TERRL, for {licences:,} licensed accounts; free licences do not count, so it "
        f"may be less); the bot's people outside @{domain}: {external:,}"
    )
    if external > allowance // 2:
        return CheckRow(
            "external recipients",
            False,
            detail,
            "A day's reminders to them would use most of the tenant's allowance: "
            "past it Exchange bounces mail with 550 5.7.233. Spread the first run "
            "over days (deploy/m365.md, section 6).",
        )
    return CheckRow("external recipients", True, detail)


def _staff(client: GraphClient, m365: Any) -> list[CheckRow]:
    """Who the directory reads as people, and the accounts it leaves out (guests, accounts
    without a licence) with the settings that bring them in, naming those with no mailbox."""
    try:
        changes = GraphDirectory.from_settings(client, m365).fetch(None)
    except (ConnectorError, GraphCallError) as exc:
        return [CheckRow("directory", False, str(exc), "See deploy/m365.md, section 5.")]
    here = sum(1 for p in changes.people if p.active)
    detail = (
        f"{here} {'person' if here == 1 else 'people'} read; left out: "
        f"{left_out_words(changes.left_out or {})}"
    )
    brought_in = [
        f"{ENV}{name}=true"
        for name, on in (
            ("INCLUDE_GUESTS", m365.include_guests),
            ("INCLUDE_UNLICENSED", m365.include_unlicensed),
        )
        if on
    ]
    if brought_in:
        detail += f" (brought in: {', '.join(brought_in)})"
    elif changes.left_out:
        detail += f" ({ENV}INCLUDE_GUESTS=true or {ENV}INCLUDE_UNLICENSED=true brings them in)"
    if changes.no_mailbox:
        detail += "; not chased, because mail cannot reach them (no mailbox): " + ", ".join(
            changes.no_mailbox
        )
    return [CheckRow("directory", True, detail), _external(client, m365.sender, changes.people)]


def _mail(client: GraphClient, app: str, sender: str | None, ours: set[str]) -> list[CheckRow]:
    """The sending mailbox's rows (``ours``: every mailbox the bot sends from, none of which
    is "another mailbox" to the scope's probe)."""
    if not sender:
        return [
            CheckRow(
                "sender mailbox",
                False,
                "no sender mailbox is configured",
                f"Set {ENV}SENDER to the mailbox to send from (a shared mailbox is fine).",
            )
        ]
    try:
        client.user(sender, select=("id", "mail", "userPrincipalName"))
    except GraphCallError as exc:
        if exc.status == 404:
            return [
                CheckRow(
                    "sender mailbox",
                    False,
                    f"{sender} does not exist in the tenant: {exc}",
                    f"Set {ENV}SENDER to an existing mailbox (a shared mailbox is fine).",
                )
            ]
        # Without User.Read.All the lookup fails (that row says so); the probe still tells.
    row = _send_probe(client, app, sender)
    if not row.ok:
        return [row]
    return [row, _scope(client, app, sender, ours), _sent_items(client, sender)]


def _outside_scope(row: CheckRow, app: str, install: str | None, sender: str) -> CheckRow:
    """A school's mailbox the app may not send as is outside the Mail.Send scope: say so,
    and how to widen the scope to it."""
    if row.ok or row.name != "Mail.Send" or "Mail.Send missing" not in row.detail:
        return row
    return replace(row, detail=f"{sender} is outside the app's Mail.Send scope: "
                   + row.detail.removeprefix(f"Mail.Send missing for {sender}: "),
                   fix=rbac_fix(app, install or sender, sender))


def _sent_items(client: GraphClient, sender: str) -> CheckRow:
    """Optional: whether an unknown send outcome can be looked up in Sent Items."""
    name = "Mail.ReadBasic.All (optional)"
    try:
        client.sent_message_id(sender, "<compliance-bot-check@invalid>")
    except GraphCallError as exc:
        return CheckRow(
            name,
            True,
            f"Sent Items of {sender} not readable ({exc.status or exc}): a message whose send "
            "outcome is unknown waits for a person. To settle those automatically, grant "
            "Mail.ReadBasic.All scoped to the sender like Mail.Send (deploy/m365.md)",
        )
    return CheckRow(
        name,
        True,
        f"may read {sender}'s Sent Items: a message whose send outcome is unknown is looked "
        "up by its Message-ID",
    )


def _send_probe(client: GraphClient, app: str, sender: str) -> CheckRow:
    name = "Mail.Send"
    try:
        client.send_probe(sender)
    except GraphCallError as exc:
        if exc.status == 400 and exc.code == ALLOWED_PROBE_CODE:
            return CheckRow(
                name,
                True,
                f"may send as {sender} (a probe with no recipients was refused as "
                f"{exc.code}; nothing was sent)",
            )
        return _refused(
            name,
            exc,
            {
                (401, 403): (
                    f"Mail.Send missing for {sender}: {exc}",
                    rbac_fix(app, sender)
                    + "\nGranting Mail.Send as an application permission also works ("
                    + _consent(app, "Mail.Send").rstrip(".")
                    + ") but lets the app send as every mailbox: scope it as above.",
                ),
                (404,): (
                    f"{sender} has no Exchange Online mailbox: {exc}",
                    "Use a licensed or shared mailbox as the sender.",
                ),
            },
            (
                f"could not tell: Graph refused the probe before checking the permission: {exc}",
                AGAIN,
            ),
        )
    # A probe cannot be accepted (it has no recipients); if it was, nothing could be delivered.
    return CheckRow(name, True, f"may send as {sender}")


def _scope(client: GraphClient, app: str, sender: str, ours: set[str]) -> CheckRow:
    name = "Mail.Send scope"
    mine = ours | {sender.casefold()}
    try:
        users = client.users(select=("id", "mail", "userPrincipalName"), top=10, all_pages=False)
        others = [
            u
            for u in users
            if u.mail and not mine & {u.mail.casefold(), (u.user_principal_name or "").casefold()}
        ]
    except GraphCallError as exc:
        return CheckRow(name, True, f"not tested (could not list users: {exc.status})")
    if not others:
        return CheckRow(name, True, "not tested (no other mailbox to compare with)")
    other = others[0]
    try:
        client.send_probe(other.id)
    except GraphCallError as exc:
        if exc.status in (401, 403):
            return CheckRow(name, True, "scoped: Graph refuses to send as other mailboxes")
        if not (exc.status == 400 and exc.code == ALLOWED_PROBE_CODE):
            return CheckRow(name, True, f"not tested (probe answered {exc.status} {exc.code})")
    # the probe was let through (or refused only for its lack of recipients)
    return CheckRow(
        name,
        False,
        f"Mail.Send is tenant-wide: the app may send as any mailbox (e.g. {other.mail})",
        rbac_fix(app, sender)
        + "\nThen remove the tenant-wide grant (permissions add up, so the scope only bites "
        f"without it): Entra admin centre > App registrations > {app} > API permissions > "
        "Mail.Send > Remove permission.",
    )


def _site(client: GraphClient, app: str, site_id: str | None, list_name: str) -> CheckRow:
    name = "Sites.Selected"
    if not site_id:
        return CheckRow(name, True, f"not configured: reports are not mirrored ({ENV}SITE_ID)")
    try:
        exists = client.find_list(site_id, list_name) is not None
    except GraphCallError as exc:
        return _refused(
            name,
            exc,
            {
                (401, 403): (
                    f"Sites.Selected missing, or the site is not granted to the app: {exc}",
                    _consent(app, "Sites.Selected")
                    + " Then grant this site to the app, as an admin with "
                    "Sites.FullControl.All (e.g. in Graph Explorer):\n"
                    f"  POST {client.endpoint}/sites/{site_id}/permissions\n"
                    '  {"roles": ["write"], "grantedToIdentities": [{"application": '
                    f'{{"id": "{app}", "displayName": "compliance-bot"}}}}]}}',
                ),
                (400, 404): (
                    f"site not found: {exc}",
                    f"Set {ENV}SITE_ID to the site id (hostname,site-collection-id,web-id) "
                    "from GET /sites/{hostname}:/sites/{path}.",
                ),
            },
        )
    state = "exists" if exists else "will be created on first use"
    return CheckRow(name, True, f"site readable; list {list_name!r} {state}")


def _forms(client: GraphClient, m365: Any) -> CheckRow:
    name = "Form list"
    if not (m365.site_id and m365.forms_list):
        return CheckRow(name, True, f"not configured: no Microsoft form is read ({ENV}FORMS_LIST)")
    made = "Create it with 'compliance-bot reports microsoft-form' (it prints the flow's steps)."
    try:
        match = client.find_list(m365.site_id, m365.forms_list)
        if match is None:
            return CheckRow(name, False, f"the site has no list {m365.forms_list!r}", made)
        problems = column_problems(client.columns(m365.site_id, match.id))
        if problems:
            return CheckRow(
                name,
                False,
                f"list {m365.forms_list!r}: " + "; ".join(problems),
                "Run 'compliance-bot reports microsoft-form' to add missing columns. A column "
                "made by hand keeps the internal name it was first given: delete it and add it "
                "again under the internal name in deploy/m365.md section 10, then rename it.",
            )
        read = ListFormSource(client, m365.site_id, m365.forms_list).responses(None)
    except GraphCallError as exc:
        return _refused(
            name,
            exc,
            {
                (401, 403): (
                    f"cannot read the list: {exc}",
                    "Grant the app the site that holds the list (Sites.Selected, section 8).",
                )
            },
            (str(exc), f"Check {ENV}SITE_ID and {ENV}FORMS_LIST."),
        )
    except ConnectorError as exc:
        return CheckRow(name, False, str(exc), f"Check {ENV}SITE_ID and {ENV}FORMS_LIST.")
    bad = [r for r in read if isinstance(r, UnreadableResponse)]
    if bad:
        return CheckRow(
            name,
            False,
            f"{len(bad)} of the list's {len(read)} responses cannot be read: "
            + "; ".join(f"{b.where}: {b.problem}" for b in bad[:5])
            + ("; ..." if len(bad) > 5 else ""),
            "Correct each item in the list (formats in deploy/m365.md section 10); the bot "
            "reads it within a minute. If it cannot be corrected, record the response as a "
            "report by hand, then delete the item.",
        )
    detail = (
        f"list {m365.forms_list!r} readable, with its columns; responses in it now: {len(read)}"
    )
    return CheckRow(name, True, detail)


def _webhook(url: Any) -> CheckRow:
    name = "Teams webhook"
    if url is None:
        return CheckRow(name, True, f"not configured: no digest card ({ENV}TEAMS_WEBHOOK_URL)")
    parts = urlsplit(url.get_secret_value())
    if parts.scheme != "https" or "sig" not in parse_qs(parts.query):
        return CheckRow(
            name,
            False,
            f"the URL does not look like a Workflows webhook (host {parts.hostname})",
            "Copy the HTTP POST URL from the 'When a Teams webhook request is received' trigger.",
        )
    return CheckRow(
        name, True, f"configured for {parts.hostname} (not called: it would post to the channel)"
    )
