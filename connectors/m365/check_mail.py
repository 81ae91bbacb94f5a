"""``check m365``'s rows for sending: Mail.Send as the sender (and each school's own mailbox),
proved by a probe that cannot deliver; whether that permission is scoped to those mailboxes
(RBAC for Applications, with the PowerShell that scopes it); Sent Items for unknown outcomes;
and the tenant's allowance of external recipients (TERRL) against the people the bot writes to
outside it. Why the probe proves anything: the ``check`` module's docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.checks import ANSWER, CheckRow, refused, row, said
from connectors.m365 import check_said as s
from connectors.m365.client import GraphClient
from connectors.m365.errors import GraphCallError

__all__ = ["external", "external_row", "mail_rows", "rbac_fix", "terrl"]

# Exchange validates the message only after it checked the app's right to the mailbox.
ALLOWED_PROBE_CODE = "ErrorInvalidRecipients"


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


def terrl(licences: int) -> int:
    """Exchange Online's tenant external recipient rate limit (TERRL): recipients outside the
    tenant's accepted domains the whole tenant may send to in a rolling 24 hours, 500 ×
    (paid licences)^0.7 + 9,500 (past it Exchange accepts, then bounces with 5.7.233)."""
    allowance: float = 500 * float(max(licences, 0)) ** 0.7 + 9_500
    return round(allowance)


def external(client: GraphClient, sender: str | None, people: Sequence[Any]) -> CheckRow:
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
    return row(
        s.EXTERNAL,
        not spread,
        s.TERRL,
        s.SPREAD if spread else None,
        allowance=f"{allowance:,}",
        licences=f"{licences:,}",
        domain=domain,
        external=f"{external:,}",
    )


def mail_rows(
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
            return [
                row(
                    s.SENDER_MAILBOX,
                    False,
                    s.NO_SUCH_SENDER,
                    s.EXISTING_SENDER,
                    sender=sender,
                    error=str(exc),
                )
            ]
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
        return row(
            name,
            True,
            s.NO_SENT_ITEMS,
            permission=permission,
            sender=sender,
            error=str(exc.status or exc),
        )
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
            else (
                s.SEND_MISSING,
                ANSWER,
                rbac_fix(app, sender)
                + "\n"
                + said(
                    s.SEND_ANY,
                    consent=lambda: said(s.CONSENT, app=app, permission="Mail.Send").rstrip("."),
                ),
            )
        )
        return refused(
            name,
            exc,
            {(401, 403): scoped[:2], (404,): (s.NO_EXCHANGE, s.LICENSED_SENDER)},
            (s.COULD_NOT_TELL, s.AGAIN),
            sender=sender,
            answer=scoped[2],
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
            return row(
                name, True, s.NOT_TESTED, permission=permission, status=exc.status, code=exc.code
            )
    # the probe was let through (or refused only for its lack of recipients)
    return row(
        name,
        False,
        s.TENANT_WIDE,
        ANSWER,
        permission=permission,
        mailbox=other.mail,
        answer=rbac_fix(app, sender) + "\n" + said(s.REMOVE_GRANT, app=app),
    )
