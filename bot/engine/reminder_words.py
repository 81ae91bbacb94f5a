"""The words of a reminder email: each item's button and why it is asked, who a late one copies
in, the line before its items (to the person, or to whoever is asked on behalf of one or several
people without an email address), what its buttons do, and the day's one "well overdue" message
to a line manager. Pure: the school's settings and the items in, sentences out
(``bot.engine.remind`` renders and queues them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.messages import notice
from bot.core.outbox import EmailDraft
from bot.core.rendered import slot
from bot.core.words import school_words
from bot.engine.reminders import Digest

__all__ = [
    "ITEM_TEXT", "LINK_PURPOSE", "ONLY_THEMSELVES", "ON_BEHALF_ITEM_TEXT", "ON_BEHALF_LINK",
    "asked_intro", "escalated_lead", "escalated_names", "footnote", "intro", "item_why",
    "told_draft",
]

LINK_PURPOSE = {
    "acknowledge_policy": "ack", "reading_campaign": "ack", "sign_aup": "aup",
    "recurring_task": "task",
}
# what only someone asked on another's behalf records through a signed page (the person
# themselves records their training from their own page)
ON_BEHALF_LINK = {"complete_training": "training"}
# an item's button and why, said to whoever is asked on behalf of someone without an email
# address (the person's own words would send the office to "your page")
ON_BEHALF_ITEM_TEXT = {
    "complete_training": {
        "button": "Record their training",
        "why": "Once they have done this training, record the date it was done (and the "
        "certificate, if there is one).",
    },
    "acknowledge_policy": {
        "why": "Go through this policy with them, then record that they have read it.",
    },
    "reading_campaign": {
        "why": "Everyone reads this guidance each school year and whenever a new edition comes "
        "out; go through it with them, then record that they have read it.",
    },
    "sign_aup": {  # a signature is theirs alone: no button (``ONLY_THEMSELVES``)
        "why": "They run one of the school's official accounts, so they need to sign the social "
        "media Acceptable Use Policy themselves: print it for them to sign and keep the signed "
        "copy, or give them a school email address.",
    },
}
ONLY_THEMSELVES = frozenset({"sign_aup"})  # never recorded on another's behalf


# each kind's button and the line saying why the person is asked
ITEM_TEXT: dict[str, tuple[str, str]] = {
    "acknowledge_policy": ("Read and acknowledge", "Please read this policy and confirm you have."),
    "reading_campaign": (
        "Read and acknowledge",
        "Everyone reads this guidance each school year and whenever a new edition comes out; "
        "please read it and confirm you have.",
    ),
    "sign_aup": (
        "Read and sign the AUP",
        "You run one of the school's official accounts, so you need to sign the social "
        "media Acceptable Use Policy.",
    ),
    "complete_training": (
        "See my training",
        "Please complete this training and send the certificate to the office "
        "(or upload it from your page).",
    ),
    "recurring_task": (
        "Mark as done",
        "This is one of the school's regular tasks. Please do it, then press the button to "
        "mark it done.",
    ),
}


def item_why(cfg: RequirementConfig, cycle: str, account_name: str | None) -> str:
    """Why the person is asked: the account they hold, a renewal, or the kind's usual line."""
    if cfg.kind == "sign_aup" and account_name:
        return (
            f"You hold the school's {account_name} account, so you need to sign the social "
            "media Acceptable Use Policy."
        )
    if cfg.kind == "complete_training" and cfg.record_check:
        return (
            "Please make sure this check is renewed by the due date below; the office records "
            "the date it was done (there is no training certificate)."
        )
    if cfg.kind == "complete_training" and cycle.startswith("refresh:"):
        return f"Your {cfg.refresher} is due by the date below (the full course also counts)."
    if cfg.kind == "complete_training" and cycle.startswith("renew:"):
        return "Your certificate expires on the due date below; please renew it."
    return ITEM_TEXT[cfg.kind][1]


def escalated_names(school: SchoolConfig) -> dict[str, str]:
    """Who a late reminder copies in, in the school's words ("the principal")."""
    return {"line_manager": "your line manager",
            "headteacher": f"the {school_words(school).headteacher}"}


_DOCUMENT_KINDS = frozenset({"acknowledge_policy", "reading_campaign", "sign_aup"})


def footnote(kinds: Sequence[str], link_days: int, control: str) -> str:
    """What the buttons (``control`` 'button') or links ('link') do, true for these items."""
    documents = sum(1 for k in kinds if k in _DOCUMENT_KINDS)
    signed = sum(1 for k in kinds if k in LINK_PURPOSE)
    parts = []
    if documents:
        if len(kinds) == 1:
            opener = f"The {control} opens"
        elif documents == len(kinds):
            opener = f"Each {control} opens"
        elif documents == 1:
            opener = f"The {control} for the policy opens"
        else:
            opener = f"The {control}s for policies open"
        parts.append(
            f"{opener} a page where you can read the document first; nothing is recorded "
            "until you press the confirm button on that page."
        )
    if signed:
        parts.append(
            f"{'This ' + control + ' stops' if signed == 1 else 'These ' + control + 's stop'} "
            f"working after {link_days} days; the page then offers to email you a fresh one."
        )
    return " ".join(parts)


def escalated_lead(digest: Digest) -> str:
    """'This is well overdue' for one item; 'One of these' / 'Some of these' for several."""
    if len(digest.items) == 1:
        return "This is well overdue"
    copied = sum(1 for d in digest.due if d.reminder.copy)
    return "One of these is well overdue" if copied == 1 else "Some of these are well overdue"


def intro(count: int, on_behalf: bool) -> str:
    """The line before the items: to the person, or to whoever is asked on their behalf (the
    ``about`` slot names the person without an email address)."""
    things = "one thing" if count == 1 else f"{count} things"
    are = "is" if count == 1 else "are"
    if on_behalf:
        return (f"{slot('about')} has no email address, so the school asks you on their behalf. "
                f"There {are} {things} the school needs them to do; please pass this on and help "
                f"them do {'it' if count == 1 else 'them'}, then record it with the button "
                "(signed in: the record names you as the one who made it):")
    return f"There {are} {things} the school needs you to do:"


def asked_intro(names: Sequence[str], count: int) -> str:
    """The line before the items of the day's one message to whoever is asked on behalf of
    several people without an email address: who they are, and what to do."""
    return (f"{len(names)} people have no email address, so the school asks you on their behalf: "
            f"{', '.join(names)}. There are {count} things the school needs them to do; please "
            "pass each on to the person it names and help them do it, then record it with its "
            "button (signed in: the record names you as the one who made it):")


def told_draft(school: SchoolConfig, to: str, people: Mapping[str, list[str]]) -> EmailDraft:
    """The day's one message to a line manager (or the head) about the people whose reminder
    today is well overdue: each person and their overdue items."""
    names = sorted(people)
    who = names[0] if len(names) == 1 else f"{len(names)} people"
    return notice(
        school=school,
        to=(to,),
        subject=f"Well overdue: {who}",
        paragraphs=[
            ("Today's reminder to " + (names[0] if len(names) == 1 else "these people")
             + " was about items that are well overdue. The bot keeps reminding them; a word "
             "from you may help."),
        ],
        facts=[(name, "; ".join(dict.fromkeys(people[name]))) for name in names],
        small="You get at most one of these emails a day, listing everyone whose reminder "
        "today was well overdue.",
    )
