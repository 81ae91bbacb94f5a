"""Email addresses, checked one way everywhere: by ``email-validator``, syntax only.

Every place that takes an address from a person or a file (school.yaml, the people register,
the directory file, a report's form) asks ``email_problem``. No DNS look-up
(``check_deliverability=False``): a check runs offline, the same on every machine, and a
school's mail domain need not answer from the server. Special-use domains (``.test``,
``.local``, ``.invalid``...) are refused as email-validator refuses them; ``.example`` domains,
which the demo and the tests use, are accepted.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from bot.core.language.i18n import N_, Msg

__all__ = [
    "MAX_EMAIL_LENGTH",
    "REASONS",
    "checked_email",
    "email_problem",
    "email_reason",
    "has_mailbox",
    "is_email",
    "no_email_key",
]

MAX_EMAIL_LENGTH = 320  # what the database columns hold
# Someone on the staff list without an email address (a midday supervisor, a cleaner) is still
# a person of the register, kept under this key instead: ``.invalid`` never resolves (RFC 6761)
# and email-validator refuses it, so it can be neither typed at /signin nor delivered.
_NO_EMAIL = "@no-email.invalid"
_NOT_KEY = re.compile(r"[^a-z0-9]+")
_TOO_LONG = N_("An email address must be %(most)s characters or fewer.")
# why an address is not one: ours and email-validator's (2.x) sentences, each as the library
# writes it (a reason not listed is shown as the library wrote it); said in the reader's
# language where ``email_problem``'s sentence is shown (``email_reason``)
REASONS = (
    _TOO_LONG,
    N_("An email address must have an @-sign."),
    N_("There must be something before the @-sign."),
    N_("There must be something after the @-sign."),
    N_("The part after the @-sign is not valid. It should have a period."),
    N_("The part after the @-sign is not valid. It is not within a valid top-level domain."),
    N_(
        "The part after the @-sign is a special-use or reserved name that cannot be used with "
        "email."
    ),
    N_("An email address cannot have two periods in a row."),
    N_("An email address cannot start with a period."),
    N_("An email address cannot end with a period."),
    N_("An email address cannot end with a hyphen."),
    N_("An email address cannot have a period immediately before the @-sign."),
    N_("An email address cannot have a period immediately after the @-sign."),
    N_("An email address cannot have a hyphen immediately after the @-sign."),
    N_("An email address cannot have a period and a hyphen next to each other."),
    N_("A bracketed IP address after the @-sign is not allowed here."),
    N_("Quoting the part before the @-sign is not allowed here."),
    N_("The email address contains invalid characters before the @-sign: %(chars)s."),
    N_("The part after the @-sign contains invalid characters: %(chars)s."),
    N_("The email address contains unsafe characters: %(chars)s."),
)


def no_email_key(ref: str) -> str:
    """The key of a person without an email address, from their directory id or name:
    "Isla Grant" -> "isla-grant@no-email.invalid"."""
    plain = unicodedata.normalize("NFKD", ref).encode("ascii", "ignore").decode().lower()
    return (_NOT_KEY.sub("-", plain).strip("-") or "person")[:200] + _NO_EMAIL


def has_mailbox(address: str) -> bool:
    """Whether mail can reach ``address`` (False for a person kept without one)."""
    return not address.endswith(_NO_EMAIL)


# one check costs about 0.2 ms; a directory file is read again every sweep, so the same
# addresses are asked about again and again
@functools.lru_cache(maxsize=65_536)
def email_problem(address: str) -> str | None:
    """Why ``address`` is not an email address (email-validator's sentence, in English), or
    None; ``email_reason`` says it where shown."""
    if len(address) > MAX_EMAIL_LENGTH:
        return _TOO_LONG % {"most": MAX_EMAIL_LENGTH}
    from email_validator import EmailNotValidError, validate_email  # lazy: not for --help

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def email_reason(problem: str) -> Msg:
    """email-validator's sentence (``email_problem``) as a catalogue sentence and its values
    (``REASONS``), said where shown; one it does not list as the library wrote it."""
    for reason in REASONS:
        head, cut, _tail = reason.partition("%(")
        if cut and problem.startswith(head) and problem.endswith("."):
            name = "most" if reason is _TOO_LONG else "chars"
            return Msg(
                reason,
                **{
                    name: problem[len(head) :].split(" ", 1)[0]
                    if name == "most"
                    else problem[len(head) : -1]
                },
            )
    return Msg(problem)


def is_email(address: str, *, remember: bool = True) -> bool:
    """Whether ``address`` is an email address (``email_problem`` finds nothing).
    ``remember=False``: not through its cache (a caller that keeps its own memory)."""
    return (email_problem if remember else email_problem.__wrapped__)(address) is None


def checked_email(address: str) -> str:
    """``address`` unchanged, or ``ValueError`` saying why it is not an email address (for
    pydantic validators)."""
    problem = email_problem(address)
    if problem is not None:
        raise ValueError(f"not an email address: {problem}")
    return address
