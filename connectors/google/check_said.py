"""What ``compliance-bot check google`` says: each row's name, verdict and fix as catalogue
sentences, a row made by ``connectors.base.row(NAME, ok, VERDICT, FIX, **values)`` and said in
the language of the schools on the domain.

Google's own words stay as Google writes them, values filled in after translating: scope URLs,
API and product names (Gmail, Google Forms, the Admin SDK API), the Admin console's and Chat's
menu names (no Welsh localisation of them is used: each sentence's translator comment says so),
the settings' variable names, and whatever Google answered.
"""

from __future__ import annotations

from bot.core.language.i18n import N_

# the rows' names (Google Forms is the product's own)
KEY = N_("Service account key")
USERS = N_("Directory users")
GROUPS = N_("Directory groups")
GROUP = N_("Directory group %(group)s")
GMAIL_SEND = N_("Gmail send")
GMAIL_LOOKUP = N_("Gmail sent-mail lookup (optional)")
SHEETS = N_("Sheets mirror")
CHAT_WEBHOOK = N_("Chat webhook")
CHAT_APP = N_("Chat app cards")
CHAT_DIRECT = N_("Chat direct messages set up as staff (optional)")
MAIL_PACING = N_("Mail pacing")

# what to fix when a call fails
DELEGATION = N_(
    "Admin console > Security > Access and data control > API controls > Domain-wide "
    "delegation: give client ID %(client_id)s exactly these scopes: %(scopes)s"
)
SEE_KEY_FILE = N_("(see the key file)")
ACTIVE_USER = N_("%(variable)s must be an active user in your domain")
UNREACHABLE = N_("Google's token endpoint was unreachable: check outbound HTTPS and retry")
KEY_REFUSED = N_("the service-account key was refused (%(reason)s): create a new key")
ENABLE_API = N_("enable the %(api)s in the service account's Google Cloud project")
RETRY = N_("Google did not answer properly: retry in a few minutes")
REFUSED = N_("Google refused the request: %(error)s")

# the service account and the directory
NOT_CONFIGURED = N_("not configured")
SET_KEY = N_("set %(variable)s to the JSON key of the service account")
POINT_KEY = N_("point %(variable)s at the downloaded JSON key")
KEY_OK = N_("%(email)s (client ID %(client_id)s)")
NO_ADMIN = N_("no admin to act as")
SET_ADMIN = N_("set %(variable)s to an administrator's email address")
GROUP_MEMBERS = N_("only members of the %(variable)s groups are read")
GROUP_MEMBERS_MATCHING = N_(
    "only members of the %(variable)s groups are read, those matching %(query)s"
)
USERS_MATCHING = N_("only users matching %(query)s are read (%(variable)s)")
EVERY_USER = N_(
    "every user of the domain is read, pupils too: name an all-staff group in %(groups)s with "
    "%(all_users)s=false, or set %(query_variable)s, e.g. orgUnitPath='/Staff' (deploy/google.md)"
)
FIX_QUERY = N_(
    "fix %(variable)s: an Admin SDK user search such as orgUnitPath='/Staff' (deploy/google.md)"
)
USERS_ROLE = N_("%(subject)s must be a super admin or hold an admin role with Users > Read")
CHECK_CUSTOMER = N_("check %(variable)s (use my_customer)")
USERS_OK = N_("users readable as %(subject)s; %(who)s")
NO_GROUPS = N_("none configured (%(variable)s); nobody gets a role from a group")
MEMBERS_OK = N_("%(count)s direct members readable")
GROUPS_ROLE = N_("%(subject)s needs the Groups > Read admin privilege")
NO_SUCH_GROUP = N_("no such group: fix the key in %(variable)s")

# Gmail
NO_SENDER = N_("no sender")
SET_SENDER = N_("set %(variable)s to the mailbox to send from")
NEEDS_LICENCE = N_("%(sender)s needs a Gmail licence")
NO_MAILBOX = N_("%(sender)s has no mailbox")
SEND_OK = N_("gmail.send token issued for %(sender)s (no mail sent)")
LOOKUP_NOT_GRANTED = N_(
    "not granted: a message whose send outcome is unknown waits for a person, and a message "
    "Gmail accepted and then bounced stays marked sent. To settle those automatically, add "
    "%(scope)s to the service account's domain-wide delegation (deploy/google.md)"
)
LOOKUP_OK = N_(
    "gmail.readonly token issued for %(sender)s: a message whose send outcome is unknown is "
    "looked up by its Message-ID in the sent mail, and one Gmail bounces (its mailer-daemon's "
    "report) is marked bounced"
)

# Sheets, Forms and Chat
OPTIONAL = N_("not configured (%(variable)s); optional")
SHARE_SHEET = N_("share the spreadsheet with %(email)s as Editor, and check %(variable)s")
NO_TAB = N_("spreadsheet %(title)s has no tab %(tab)s (tabs: %(tabs)s)")
ADD_TAB = N_("add a tab named %(tab)s or set %(variable)s")
SHEET_OK = N_("%(title)s, tab %(tab)s readable")
SHARE_FORM = N_("add %(email)s to the form as an editor (collaborator), and check %(variable)s")
FORM_OK = N_("%(title)s: questions and responses readable")
NOT_WEBHOOK = N_("not a Google Chat space webhook URL")
COPY_WEBHOOK = N_(
    "copy the webhook URL from the space (Apps & integrations > Webhooks) into %(variable)s"
)
WEBHOOK_OK = N_("space %(space)s (not called: a check must not post)")
NO_CHAT_TOKEN = N_("no chat.bot token (%(error)s)")
SET_UP_CHAT = N_(
    "enable the Google Chat API in the service account's project and configure the Chat app "
    "there (deploy/google.md, 'Chat app')"
)
CHAT_OK = N_("chat.bot token issued for project %(project)s (nothing posted)")
DIRECT_NOT_GRANTED = N_(
    "not granted: staff without a direct message with the app get email until they message it "
    "(or install the app for all staff). To set theirs up, add %(scope)s to the service "
    "account's domain-wide delegation (deploy/google.md)"
)
DIRECT_OK = N_("chat.spaces.create token issued for %(who)s (nothing set up)")
