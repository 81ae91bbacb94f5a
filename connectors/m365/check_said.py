"""What ``compliance-bot check m365`` says: each row's name, verdict and fix as catalogue
sentences, a row made by ``connectors.base.row(NAME, ok, VERDICT, FIX, **values)`` and said in
the language of the schools on the tenant.

Microsoft's own words stay as Microsoft writes them, values filled in after translating: Graph's
permission names (``Mail.Send``), the Entra and Teams admin centres' menu names (no Welsh
localisation of them is used: each sentence's translator comment says so), PowerShell, HTTP
calls and status codes, the settings' variable names, and whatever Graph or Entra ID answered.
"""

from __future__ import annotations

from bot.core.language.i18n import N_

# the rows' names (a Graph permission's name is its own)
SETTINGS = N_("settings")
TOKEN = N_("token")
ROLE_GROUPS = N_("role groups")
DIRECTORY = N_("directory")
EXTERNAL = N_("external recipients")
SENDER_MAILBOX = N_("sender mailbox")
SCOPE = N_("%(permission)s scope")
OPTIONAL = N_("%(permission)s (optional)")
FORM_LIST = N_("Form list")
TEAMS_BOT = N_("Teams bot")
MAIL_PACING = N_("mail pacing")
TEAMS_WEBHOOK = N_("Teams webhook")

# how the app proves who it is: the word, "the …", and "the connector's …"
AUTH = {
    "certificate": (N_("certificate"), N_("the certificate"), N_("the connector's certificate")),
    "secret": (N_("client secret"), N_("the client secret"), N_("the connector's client secret")),
}
THE_SECRET = N_("the secret")  # the bot's own registration's

AGAIN = N_("Run the check again; see deploy/m365.md.")
CONSENT = N_(
    "Entra admin centre > App registrations > %(app)s > API permissions > Add a permission > "
    "Microsoft Graph > Application permissions > %(permission)s, then 'Grant admin consent'."
)
MISSING = N_("%(permission)s missing: %(error)s")

# settings and token
SETTINGS_MISSING = N_("missing: %(names)s")
SET_THEM = N_("Set them in the environment or .env (see deploy/m365.md).")
CHECK_SETTING = N_("Check %(variable)s (see deploy/m365.md).")
SETTINGS_OK = N_("tenant %(tenant)s, app %(app)s, %(auth)s, Graph %(endpoint)s")
TOKEN_OK = N_("app-only token issued by %(authority)s")
TOKEN_FIXES = {
    "AADSTS7000215": N_(
        "The client secret is wrong: copy the secret's Value (not its ID) into "
        "COMPLIANCE_BOT_M365__CLIENT_SECRET, or create a new one under Certificates & secrets."
    ),
    "AADSTS7000222": N_(
        "The client secret has expired: create a new one and update "
        "COMPLIANCE_BOT_M365__CLIENT_SECRET."
    ),
    "AADSTS700016": N_(
        "No app with this id in the tenant: check COMPLIANCE_BOT_M365__CLIENT_ID and "
        "COMPLIANCE_BOT_M365__TENANT_ID."
    ),
    "AADSTS90002": N_(
        "Tenant not found: check COMPLIANCE_BOT_M365__TENANT_ID (and "
        "COMPLIANCE_BOT_M365__AUTHORITY_HOST for national clouds)."
    ),
    "AADSTS900023": N_("COMPLIANCE_BOT_M365__TENANT_ID is not a valid tenant id or domain."),
    "AADSTS700027": N_(
        "The certificate is not registered on the app: upload its public key under "
        "Certificates & secrets."
    ),
    "AADSTS700024": N_("The client assertion is out of date: check this machine's clock."),
}
TOKEN_FIXES["AADSTS500011"] = TOKEN_FIXES["AADSTS1002012"] = N_(
    "COMPLIANCE_BOT_M365__GRAPH_ENDPOINT and COMPLIANCE_BOT_M365__AUTHORITY_HOST must be in "
    "the same cloud (e.g. graph.microsoft.us with login.microsoftonline.us)."
)
TOKEN_CHECK = N_(
    "Check COMPLIANCE_BOT_M365__TENANT_ID, COMPLIANCE_BOT_M365__CLIENT_ID and %(auth)s; see "
    "deploy/m365.md."
)
REFUSED = N_("Entra ID refused the token request: %(code)s")
REFUSED_SAID = N_("Entra ID refused the token request: %(code)s — %(said)s")
REACH = N_(
    "Check this machine can reach %(authority)s over HTTPS (DNS, firewall; behind a proxy set "
    "HTTPS_PROXY)."
)
UNREACHED = N_("could not reach %(authority)s: %(error)s")
NO_TOKEN = N_("no token: %(error)s")
REACH_THEN = N_(
    "Check this machine can reach %(authority)s over HTTPS (DNS, firewall; behind a proxy set "
    "HTTPS_PROXY). Then check COMPLIANCE_BOT_M365__TENANT_ID, COMPLIANCE_BOT_M365__CLIENT_ID "
    "and %(auth)s."
)

# the directory
WORKS = N_("%(call)s works")
WORKS_WITH_MEMBERS = N_("%(call)s and its members work")
GROUPS_NOT_FOUND = N_("not found: %(names)s")
GROUP_NAMES = N_(
    "Use the groups' exact display names as the keys of COMPLIANCE_BOT_M365__ROLE_GROUPS."
)
GROUPS_FOUND = N_("all %(count)s found")
SEE_SECTION_5 = N_("See deploy/m365.md, section 5.")
BROUGHT_IN = N_("%(read)s (brought in: %(settings)s)")
BRINGS_IN = N_(
    "%(read)s (COMPLIANCE_BOT_M365__INCLUDE_GUESTS=true or "
    "COMPLIANCE_BOT_M365__INCLUDE_UNLICENSED=true brings them in)"
)
NO_MAILBOX = N_("%(read)s; not chased, because mail cannot reach them (no mailbox): %(names)s")
LICENCES_NOT_COUNTED = N_("licences not counted: %(error)s")
TERRL = N_(
    "the tenant may send to about %(allowance)s recipients outside it in 24 hours (TERRL, for "
    "%(licences)s licensed accounts; free licences do not count, so it may be less); the bot's "
    "people outside @%(domain)s: %(external)s"
)
SPREAD = N_(
    "A day's reminders to them would use most of the tenant's allowance: past it Exchange "
    "bounces mail with 550 5.7.233. Spread the first run over days (deploy/m365.md, section 6)."
)

# mail
RBAC_ONE = N_(
    "Give the app Mail.Send for %(sender)s only, with Exchange Online RBAC for Applications (the "
    "object id is under Entra admin centre > Enterprise applications):"
)
RBAC_MANY = N_(
    "Give the app Mail.Send for %(sender)s and the schools' own mailboxes only, with Exchange "
    "Online RBAC for Applications: one management scope listing every sender (or members of a "
    "mail-enabled security group: MemberOfGroup -eq '<group DN>'; deploy/m365.md):"
)
NO_SENDER = N_("no sender mailbox is configured")
SET_SENDER = N_(
    "Set COMPLIANCE_BOT_M365__SENDER to the mailbox to send from (a shared mailbox is fine)."
)
NO_SUCH_SENDER = N_("%(sender)s does not exist in the tenant: %(error)s")
EXISTING_SENDER = N_(
    "Set COMPLIANCE_BOT_M365__SENDER to an existing mailbox (a shared mailbox is fine)."
)
OUTSIDE_SCOPE = N_("%(sender)s is outside the app's Mail.Send scope: %(error)s")
SEND_MISSING = N_("Mail.Send missing for %(sender)s: %(error)s")
SEND_ANY = N_(
    "Granting Mail.Send as an application permission also works (%(consent)s) but lets the app "
    "send as every mailbox: scope it as above."
)
NO_EXCHANGE = N_("%(sender)s has no Exchange Online mailbox: %(error)s")
LICENSED_SENDER = N_("Use a licensed or shared mailbox as the sender.")
COULD_NOT_TELL = N_(
    "could not tell: Graph refused the probe before checking the permission: %(error)s"
)
MAY_SEND_PROBED = N_(
    "may send as %(sender)s (a probe with no recipients was refused as %(code)s; nothing was sent)"
)
MAY_SEND = N_("may send as %(sender)s")
NO_SENT_ITEMS = N_(
    "Sent Items of %(sender)s not readable (%(error)s): a message whose send outcome is unknown "
    "waits for a person. To settle those automatically, grant Mail.ReadBasic.All scoped to the "
    "sender like Mail.Send (deploy/m365.md)"
)
SENT_ITEMS = N_(
    "may read %(sender)s's Sent Items: a message whose send outcome is unknown is looked up by "
    "its Message-ID"
)
NOT_LISTED = N_("not tested (could not list users: %(status)s)")
NO_OTHER = N_("not tested (no other mailbox to compare with)")
SCOPED = N_("scoped: Graph refuses to send as other mailboxes")
NOT_TESTED = N_("not tested (probe answered %(status)s %(code)s)")
TENANT_WIDE = N_("Mail.Send is tenant-wide: the app may send as any mailbox (e.g. %(mailbox)s)")
REMOVE_GRANT = N_(
    "Then remove the tenant-wide grant (permissions add up, so the scope only bites without "
    "it): Entra admin centre > App registrations > %(app)s > API permissions > Mail.Send > "
    "Remove permission."
)

# the site, the form list, the Teams bot and webhook
NO_SITE = N_("not configured: reports are not mirrored (COMPLIANCE_BOT_M365__SITE_ID)")
SITE_NOT_GRANTED = N_("Sites.Selected missing, or the site is not granted to the app: %(error)s")
GRANT_SITE = N_(
    "%(consent)s Then grant this site to the app, as an admin with Sites.FullControl.All (e.g. "
    "in Graph Explorer):"
)
SITE_NOT_FOUND = N_("site not found: %(error)s")
SET_SITE = N_(
    "Set COMPLIANCE_BOT_M365__SITE_ID to the site id (hostname,site-collection-id,web-id) from "
    "GET /sites/{hostname}:/sites/{path}."
)
SITE_EXISTS = N_("site readable; list %(list)s exists")
SITE_CREATES = N_("site readable; list %(list)s will be created on first use")
NO_FORM = N_("not configured: no Microsoft form is read (COMPLIANCE_BOT_M365__FORMS_LIST)")
MAKE_FORM = N_(
    "Create it with 'compliance-bot reports microsoft-form' (it prints the flow's steps)."
)
NO_LIST = N_("the site has no list %(list)s")
LIST_PROBLEMS = N_("list %(list)s: %(problems)s")
ADD_COLUMNS = N_(
    "Run 'compliance-bot reports microsoft-form' to add missing columns. A column made by hand "
    "keeps the internal name it was first given: delete it and add it again under the internal "
    "name in deploy/m365.md section 10, then rename it."
)
LIST_UNREADABLE = N_("cannot read the list: %(error)s")
GRANT_LIST_SITE = N_("Grant the app the site that holds the list (Sites.Selected, section 8).")
CHECK_LIST = N_("Check COMPLIANCE_BOT_M365__SITE_ID and COMPLIANCE_BOT_M365__FORMS_LIST.")
BAD_RESPONSES = N_("%(bad)s of the list's %(count)s responses cannot be read: %(problems)s")
CORRECT_ITEMS = N_(
    "Correct each item in the list (formats in deploy/m365.md section 10); the bot reads it "
    "within a minute. If it cannot be corrected, record the response as a report by hand, then "
    "delete the item."
)
LIST_OK = N_("list %(list)s readable, with its columns; responses in it now: %(count)s")
NO_BOT = N_("not configured: webhook mode (COMPLIANCE_BOT_M365__BOT_APP_ID)")
NO_CATALOG_ID = N_("COMPLIANCE_BOT_M365__TEAMS_CATALOG_APP_ID is not set")
UPLOAD_APP = N_(
    "Upload the app in the Teams admin centre and copy its App ID (deploy/teams/bot.md, section 4)."
)
BOT_NO_SECRET = N_(
    "the bot %(bot)s is an app registration of its own (not %(app)s) and "
    "COMPLIANCE_BOT_M365__BOT_APP_SECRET is not set: it cannot get a Bot Connector token"
)
SET_BOT_SECRET = N_(
    "Set COMPLIANCE_BOT_M365__BOT_APP_SECRET to a client secret of app %(bot)s (Entra admin "
    "centre > App registrations > the bot's app > Certificates & secrets), or set "
    "COMPLIANCE_BOT_M365__BOT_APP_ID to %(app)s if the bot is that registration."
)
BOT_OWN_SECRET = N_("its own app registration's secret (COMPLIANCE_BOT_M365__BOT_APP_SECRET)")
BOT_SECRET_UNUSED = N_(
    "%(how)s; COMPLIANCE_BOT_M365__BOT_APP_SECRET is not used (the bot is app %(app)s)"
)
NO_BOT_TOKEN = N_("no Bot Connector token with %(how)s: %(detail)s")
ALSO_ACTIVITY = N_("%(consent)s Also grant TeamsActivity.Send (deploy/teams/bot.md, section 2).")
BOT_OK = N_(
    "bot %(bot)s gets its Bot Connector token with %(how)s, and may install its app for staff; "
    "TeamsActivity.Send and TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All cannot be "
    "read without sending or installing: check they are granted"
)
NO_WEBHOOK = N_("not configured: no digest card (COMPLIANCE_BOT_M365__TEAMS_WEBHOOK_URL)")
NOT_WORKFLOWS = N_("the URL does not look like a Workflows webhook (host %(host)s)")
COPY_WORKFLOWS = N_(
    "Copy the HTTP POST URL from the 'When a Teams webhook request is received' trigger."
)
WEBHOOK_OK = N_("configured for %(host)s (not called: it would post to the channel)")
