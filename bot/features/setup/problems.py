"""What ``init``'s own checks can say once the answers file has been read: each problem is a
line ``field: sentence`` kept in English as written (the interactive ``init`` asks a field
again by its key) and said in the school's language when shown (``said``).

Every sentence is a catalogue sentence (``N_``) with named values; ``said`` reads a line back
against them (``bot.core.config.said.say_sentence``), the values — names, files, what was
typed — as written, a ``problem`` value read back in turn. What comes from elsewhere is read
back here too, at the edge where a person is told (the adapters keep their English): a staff
list's own row problem (``ROWS``, the local directory's sentences), the address library's
reason an address is not one (``bot.core.emails.REASONS``), a platform directory's name and a
policy document's answer's problem (the policies room's ``ANSWER_PROBLEMS``). A line none of
them fits keeps its English sentence.
"""

from __future__ import annotations

import re

from bot.core.config.said import say_check, say_sentence
from bot.core.emails import REASONS
from bot.core.i18n import N_, both, translations
from bot.core.spreadsheets import SPREADSHEET_SENTENCES
from bot.features.setup.term_calendar import CALENDAR_SENTENCES

__all__ = [
    "SETUP_SENTENCES",
    "THE_DIRECTORY",
    "THE_PLATFORM_DIRECTORY",
    "contracted",
    "said",
    "say",
]

# the line's frame: the answers file's field, then what is wrong with it
_FIELD = N_("%(field)s: %(problem)s")

# the directory as a person knows it (a local file by its name)
THE_PLATFORM_DIRECTORY = N_("the %(platform)s directory")
THE_DIRECTORY = N_("the directory")

# the staff list (directory:, job_titles:)
NO_DIRECTORY = N_("give the staff CSV export (e.g. staff.csv)")
ROW_LEFT_OUT = N_("%(problem)s (fix the file, or leave the row out: leave_out: [%(number)s])")
NOBODY_HAS_A_ROLE = N_(
    "nobody in %(source)s has a role: give job titles a role in the role table (job_titles), "
    "add a 'roles' column (staff, volunteer, governor) or map its groups with role_groups, "
    'e.g. {"All Staff": staff, "Governors": governor}'
)
# a platform's directory not read yet (``directory_note``)
NOT_READ_UNTIL_CHECKED = N_(
    "the %(platform)s directory is read once `compliance-bot check %(command)s` passes; people "
    "are taken by email until then"
)
NOT_READ_YET = N_("the directory could not be read yet (%(problem)s); people by email")

# the people named (people.*)
BY_EMAIL = N_("give an email address (%(problem)s)")
NOT_AN_ADDRESS = N_("%(email)s is not an email address (%(why)s)")
NOT_IN_DIRECTORY = N_("%(wanted)s is not in %(source)s")
NOBODY_CALLED = N_("nobody called %(wanted)s in %(source)s; give the name or email it has")
SEVERAL_CALLED = N_(
    "%(count)s people are called %(wanted)s in %(source)s (%(listed)s); give the email"
)

# the policy folder (policies:, policy_answers:, editions:)
NO_FOLDER = N_("the policy folder: folder not found")
FOLDER_NOT_FOUND = N_("%(folder)s: folder not found")
NO_DOCUMENTS = N_("%(folder)s: no .docx, .pdf or .md documents in it")
NO_SUCH_DOCUMENT = N_("no such document in %(folder)s")
UNANSWERED = N_("the document does not say; answer it here")
SAME_DOCUMENT = N_(
    "%(first)s and %(second)s are the same document (a copy in another format); keep one of "
    "them in the folder"
)
SAME_TITLE = N_("%(first)s and %(second)s are both '%(title)s'; keep one of them in the folder")
NO_READINGS = N_("not a reading the requirements ask (they are: none)")
NOT_A_READING = N_("not a reading the requirements ask (they are: %(readings)s)")
NOT_IN_FOLDER = N_("%(name)s is not a document of the policy folder")

# the term dates and the requirement pack (terms:, requirements:)
NO_TERMS = N_("give the term dates (terms.dates) or a calendar (terms.ics)")
NO_TEMPLATE = N_("no template called %(name)s (there are: %(known)s)")

# the staff list's own problems, as the local directory (``connectors/local``) writes them: a
# row's (where, then why: the file's own column names, what it holds, as written) and the file's
ROW_WHO = N_("%(file)s line %(line)s (%(who)s): %(reason)s")
ROW = N_("%(file)s line %(line)s: %(reason)s")
FILE_PROBLEMS = (N_("%(file)s: directory file not found"), *SPREADSHEET_SENTENCES)
ROWS = (
    N_("%(column)s is missing or not an email address (got %(got)s)"),
    N_("%(column)s is not an email address (got %(got)s)"),
    N_("%(column)s is missing"),
    N_("more cells than the header has columns (a value with a comma needs quotes)"),
    N_(
        "%(column)s contains a control character (%(code)s), which cannot be stored; remove it "
        "from the file"
    ),
    N_("roles: %(roles)s cannot be given in this file (use %(allowed)s)"),
    N_("%(column)s must be yes/no (got %(got)s)"),
    N_("%(column)s %(given)s is nobody in this file; give their email"),
    N_("%(column)s %(given)s is %(count)s people in this file; give their email"),
    N_("no email address and the same name as the person already on line %(line)s"),
    N_("email %(email)s already on line %(line)s"),
    N_("id %(id)s already on line %(line)s"),
    N_("%(column)s has a two-digit year (got %(got)s); write the whole year, e.g. 01/09/2026"),
    N_(
        "%(column)s must be a date like 2026-09-01 or 01/09/2026 (got %(got)s); dates are read "
        "day first, as in the UK"
    ),
)

# in the order a line is read back: the most particular first ("… (suggested)" before the
# sentence it follows, "the policy folder: folder not found" before "%(folder)s: …")
SETUP_SENTENCES = (
    ROW_LEFT_OUT,
    NOBODY_HAS_A_ROLE,
    NO_DIRECTORY,
    NOT_READ_UNTIL_CHECKED,
    NOT_READ_YET,
    BY_EMAIL,
    NOT_AN_ADDRESS,
    NOBODY_CALLED,
    SEVERAL_CALLED,
    NOT_IN_DIRECTORY,
    NO_FOLDER,
    FOLDER_NOT_FOUND,
    NO_DOCUMENTS,
    NO_SUCH_DOCUMENT,
    UNANSWERED,
    SAME_DOCUMENT,
    SAME_TITLE,
    NO_READINGS,
    NOT_A_READING,
    NOT_IN_FOLDER,
    NO_TERMS,
    NO_TEMPLATE,
    *CALENDAR_SENTENCES,
    ROW_WHO,
    ROW,
    *FILE_PROBLEMS,
)


def _source(value: str) -> str:
    """A directory's name in Welsh ("cyfeiriadur Microsoft 365"); a file's name as written."""
    return say_sentence(value, (THE_PLATFORM_DIRECTORY, THE_DIRECTORY), "cy")


def _reason(value: str) -> str:
    """Why a row of the staff list cannot be used, in Welsh; a date cell's window ("start_date:
    2099-01-01 is too far ahead …") by the date's own sentences."""
    column, _sep, problem = value.partition(": ")
    if problem and (window := say_check(problem, "cy")) != problem:
        return f"{column}: {window}"
    return say_sentence(value, ROWS, "cy")


def _why(value: str) -> str:
    """The address library's reason, in Welsh; one it does not list as the library wrote it."""
    return say_sentence(value, REASONS, "cy")


_READERS = {"source": _source, "reason": _reason, "why": _why}


def say(text: str, language: str, sentences: tuple[str, ...] = SETUP_SENTENCES) -> str:
    """One of ``sentences`` (a sentence after a line's field, or one said alone: a row the
    staff list cannot use) in ``language``, the words from elsewhere inside it too."""
    if language == "cy+en":
        return both(say(text, "cy", sentences), text)
    if language != "cy":
        return text
    return contracted(say_sentence(text, sentences, language, readers=_READERS))


# Welsh's article after a vowel: "i'r", "o'r", "a'r", never "i y" (a directory's name, "y
# cyfeiriadur Microsoft 365", put after a preposition); no English sentence holds these
_ARTICLE = re.compile(r"(?<![\w'])([AaIiOo]) y(?= )")


def contracted(text: str) -> str:
    """``text`` with Welsh's article joined to the vowel before it ("i'r cyfeiriadur")."""
    return _ARTICLE.sub(r"\1'r", text)


def said(line: str, language: str) -> str:
    """One problem line (``field: sentence``) in ``language``: ``en`` as written, ``cy`` the
    field as written and the sentence in Welsh, ``cy+en`` both, Welsh first. A line of the
    school file's own checks (pydantic's, ``CHECKS``) is said by their table."""
    if language == "cy+en":
        return both(said(line, "cy"), line)
    if language != "cy":
        return line
    # lazy: the policies room loads its importer, which --help does not need
    from bot.features.policies.api import ANSWER_PROBLEMS

    sentences = (*SETUP_SENTENCES, *ANSWER_PROBLEMS)  # and a policy document's answer's
    field, _, problem = line.partition(": ")
    if not problem:
        return say(line, language, sentences)
    sentence = say(problem, language, sentences)
    return translations(language).gettext(_FIELD) % {"field": field, "problem": sentence}
