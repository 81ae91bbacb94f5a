"""The words of a reminder email: each item's button and why it is asked, who a late one copies
in, the line before its items (to the person, or to whoever is asked on behalf of one or several
people without an email address), what its buttons do, and the day's one "well overdue" message
to a line manager. Pure: the school's settings and the items in, sentences out
(``bot.engine.remind`` renders and queues them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Joined, Msg, nmsg
from bot.core.language.words import school_words
from bot.core.outbox import EmailDraft
from bot.core.rendering.messages import notice
from bot.core.rendering.rendered import slot
from bot.engine.reminders import Digest

__all__ = [
    "ITEM_TEXT",
    "LINK_PURPOSE",
    "ONLY_THEMSELVES",
    "ON_BEHALF_ITEM_TEXT",
    "ON_BEHALF_LINK",
    "asked_intro",
    "escalated_lead",
    "escalated_names",
    "escalated_told",
    "footnote",
    "intro",
    "item_why",
    "told_draft",
]

LINK_PURPOSE = {
    "acknowledge_policy": "ack",
    "reading_campaign": "ack",
    "sign_aup": "aup",
    "recurring_task": "task",
}
# what only someone asked on another's behalf records through a signed page (the person
# themselves records their training from their own page)
ON_BEHALF_LINK = {"complete_training": "training"}
# an item's button and why, said to whoever is asked on behalf of someone without an email
# address (the person's own words would send the office to "your page")
ON_BEHALF_ITEM_TEXT = {  # translated where shown (``N_``: the catalogue)
    "complete_training": {
        "button": N_("Record their training"),
        "why": N_(
            "Once they have done this training, record the date it was done (and the "
            "certificate, if there is one)."
        ),
    },
    "acknowledge_policy": {
        "why": N_("Go through this policy with them, then record that they have read it.")
    },
    "reading_campaign": {
        "why": N_(
            "Everyone reads this guidance each school year and whenever a new edition "
            "comes out; go through it with them, then record that they have read it."
        )
    },
    "sign_aup": {  # a signature is theirs alone: no button (``ONLY_THEMSELVES``)
        "why": N_(
            "They run one of the school's official accounts, so they need to sign the "
            "social media Acceptable Use Policy themselves: print it for them to sign and "
            "keep the signed copy, or give them a school email address."
        )
    },
}
ONLY_THEMSELVES = frozenset({"sign_aup"})  # never recorded on another's behalf

# each kind's button and the line saying why the person is asked (``N_``: the catalogue)
ITEM_TEXT: dict[str, tuple[str, str]] = {
    "acknowledge_policy": (
        N_("Read and acknowledge"),
        N_("Please read this policy and confirm you have."),
    ),
    "reading_campaign": (
        N_("Read and acknowledge"),
        N_(
            "Everyone reads this guidance each school year and whenever a new edition comes "
            "out; please read it and confirm you have."
        ),
    ),
    "sign_aup": (
        N_("Read and sign the AUP"),
        N_(
            "You run one of the school's official accounts, so you need to sign the social "
            "media Acceptable Use Policy."
        ),
    ),
    "complete_training": (
        N_("See my training"),
        N_(
            "Please complete this training and send the certificate to the office "
            "(or upload it from your page)."
        ),
    ),
    "recurring_task": (
        N_("Mark as done"),
        N_(
            "This is one of the school's regular tasks. Please do it, then press the button to "
            "mark it done."
        ),
    ),
}


def item_why(cfg: RequirementConfig, cycle: str, account_name: str | None) -> Msg:
    """Why the person is asked: the account they hold, a renewal, or the kind's usual line."""
    if cfg.kind == "sign_aup" and account_name:
        return Msg(
            N_(
                "You hold the school's %(account)s account, so you need to sign the social "
                "media Acceptable Use Policy."
            ),
            account=account_name,
        )
    if cfg.kind == "complete_training" and cfg.record_check:
        return Msg(
            N_(
                "Please make sure this check is renewed by the due date below; the office records "
                "the date it was done (there is no training certificate)."
            )
        )
    if cfg.kind == "complete_training" and cycle.startswith("refresh:"):
        return Msg(
            N_("Your %(refresher)s is due by the date below (the full course also counts)."),
            refresher=cfg.refresher,
        )
    if cfg.kind == "complete_training" and cycle.startswith("renew:"):
        return Msg(N_("Your certificate expires on the due date below; please renew it."))
    return Msg(ITEM_TEXT[cfg.kind][1])


def escalated_names(school: SchoolConfig) -> dict[str, Msg]:
    """Who a late reminder copies in, in the school's words ("the principal")."""
    return {
        "line_manager": Msg(N_("your line manager")),
        "headteacher": Msg(
            N_("the %(headteacher)s"), headteacher=Msg(school_words(school).headteacher)
        ),
    }


_DOCUMENT_KINDS = frozenset({"acknowledge_policy", "reading_campaign", "sign_aup"})
# what the buttons (in the HTML part) or links (in the text part) open: one whole sentence
# each, for the catalogue
_OPENERS = {
    ("button", "one"): N_(
        "The button opens a page where you can read the document first; "
        "nothing is recorded until you press the confirm button on that page."
    ),
    ("button", "each"): N_(
        "Each button opens a page where you can read the document first; nothing is recorded until "
        "you press the confirm button on that page."
    ),
    ("button", "policy"): N_(
        "The button for the policy opens a page where you can read the document first; nothing is "
        "recorded until you press the confirm button on that page."
    ),
    ("button", "policies"): N_(
        "The buttons for policies open a page where you can read the document first; nothing is "
        "recorded until you press the confirm button on that page."
    ),
    ("link", "one"): N_(
        "The link opens a page where you can read the document first; nothing "
        "is recorded until you press the confirm button on that page."
    ),
    ("link", "each"): N_(
        "Each link opens a page where you can read the document first; "
        "nothing is recorded until you press the confirm button on that page."
    ),
    ("link", "policy"): N_(
        "The link for the policy opens a page where you can read the document first; nothing is "
        "recorded until you press the confirm button on that page."
    ),
    ("link", "policies"): N_(
        "The links for policies open a page where you can read the document first; nothing is "
        "recorded until you press the confirm button on that page."
    ),
}
_EXPIRY = {
    "button": (
        N_(
            "This button stops working after %(days)d days; the page then offers to "
            "email you a fresh one."
        ),
        N_(
            "These buttons stop working after %(days)d days; the page then offers to "
            "email you a fresh one."
        ),
    ),
    "link": (
        N_(
            "This link stops working after %(days)d days; the page then offers to email "
            "you a fresh one."
        ),
        N_(
            "These links stop working after %(days)d days; the page then offers to email "
            "you a fresh one."
        ),
    ),
}


def footnote(kinds: Sequence[str], link_days: int, control: str) -> Text:
    """What the buttons (``control`` 'button') or links ('link') do, true for these items."""
    documents = sum(1 for k in kinds if k in _DOCUMENT_KINDS)
    signed = sum(1 for k in kinds if k in LINK_PURPOSE)
    parts: list[Msg] = []
    if documents:
        if len(kinds) == 1:
            opener = "one"
        elif documents == len(kinds):
            opener = "each"
        elif documents == 1:
            opener = "policy"
        else:
            opener = "policies"
        parts.append(Msg(_OPENERS[control, opener]))
    if signed:
        parts.append(Msg(_EXPIRY[control][signed != 1], days=link_days))
    return Joined(parts, " ") if parts else ""


def escalated_lead(digest: Digest) -> Msg:
    """'This is well overdue' for one item; 'One of these' / 'Some of these' for several."""
    if len(digest.items) == 1:
        return Msg(N_("This is well overdue"))
    copied = sum(1 for d in digest.due if d.reminder.copy)
    if copied == 1:
        return Msg(N_("One of these is well overdue"))
    return Msg(N_("Some of these are well overdue"))


def escalated_told(lead: Msg, escalated: Sequence[Msg]) -> Text:
    """'This is well overdue, so your line manager and the headteacher have been told.'"""
    if not escalated:
        return ""
    if len(escalated) == 1:
        return Msg(N_("%(lead)s, so %(who)s has been told."), lead=lead, who=escalated[0])
    return Msg(
        N_("%(lead)s, so %(who)s and %(other)s have been told."),
        lead=lead,
        who=escalated[0],
        other=escalated[1],
    )


def intro(count: int, on_behalf: bool) -> Msg:
    """The line before the items: to the person, or to whoever is asked on their behalf (the
    ``about`` slot names the person without an email address)."""
    if on_behalf:
        return nmsg(
            "%(about)s has no email address, so the school asks you on their behalf. There is one "
            "thing the school needs them to do; please pass this on and help them do it, then "
            "record it with the button (signed in: the record names you as the one who made it):",
            "%(about)s has no email address, so the school asks you on their behalf. There are "
            "%(num)d things the school needs them to do; please pass this on and help them do "
            "them, then record it with the button (signed in: the record names you as the one "
            "who made it):",
            count,
            about=slot("about"),
        )
    return nmsg(
        "There is one thing the school needs you to do:",
        "There are %(num)d things the school needs you to do:",
        count,
    )


def asked_intro(names: Sequence[str], count: int) -> Msg:
    """The line before the items of the day's one message to whoever is asked on behalf of
    several people without an email address: who they are, and what to do."""
    return Msg(
        N_(
            "%(people)d people have no email address, so the school asks you on their behalf: "
            "%(names)s. There are %(num)d things the school needs them to do; please pass each on "
            "to the person it names and help them do it, then record it with its button (signed "
            "in: the record names you as the one who made it):"
        ),
        people=len(names),
        names=", ".join(names),
        num=count,
    )


def told_draft(school: SchoolConfig, to: str, people: Mapping[str, list[str]]) -> EmailDraft:
    """The day's one message to a line manager (or the head) about the people whose reminder
    today is well overdue: each person and their overdue items (in the school's language)."""
    names = sorted(people)
    if len(names) == 1:
        subject = Msg(N_("Well overdue: %(name)s"), name=names[0])
        said = Msg(
            N_(
                "Today's reminder to %(name)s was about items that are well overdue. The bot keeps "
                "reminding them; a word from you may help."
            ),
            name=names[0],
        )
    else:
        subject = nmsg("Well overdue: %(num)d person", "Well overdue: %(num)d people", len(names))
        said = Msg(
            N_(
                "Today's reminder to these people was about items that are well overdue. The bot "
                "keeps reminding them; a word from you may help."
            )
        )
    return notice(
        school=school,
        to=(to,),
        subject=subject,
        paragraphs=[said],
        facts=[(name, "; ".join(dict.fromkeys(people[name]))) for name in names],
        small=Msg(
            N_(
                "You get at most one of these emails a day, listing everyone whose "
                "reminder today was well overdue."
            )
        ),
    )
