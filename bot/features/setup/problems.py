"""What ``init``'s own checks can say once the answers file has been read: each problem is a
line ``field: sentence`` kept in English as written (the interactive ``init`` asks a field
again by its key) and said in the school's language when shown (``said``).

Every sentence is a catalogue sentence (``N_``) with named values; ``said`` reads a line back
against them (``bot.core.config.said.say_sentence``), the values — names, files, what was
typed — as written, a ``problem`` value read back in turn. A line none of them fits (a staff
list's own row problem) keeps its English sentence.
"""

from __future__ import annotations

from bot.core.config.said import say_sentence
from bot.core.i18n import N_, both, translations
from bot.features.setup.term_calendar import CALENDAR_SENTENCES

__all__ = ["SETUP_SENTENCES", "said"]

# the line's frame: the answers file's field, then what is wrong with it
_FIELD = N_("%(field)s: %(problem)s")

# the staff list (directory:, job_titles:)
NO_DIRECTORY = N_("give the staff CSV export (e.g. staff.csv)")
ROW_LEFT_OUT = N_("%(problem)s (fix the file, or leave the row out: leave_out: [%(number)s])")
SUGGESTED = N_("%(problem)s (suggested)")
UNMAPPED_ONE = N_(
    "%(title)s (%(count)s person in %(source)s) is not in the role table; say what it gives "
    "(staff, volunteer, governor, supply or none), e.g. job_titles: {%(example)s}"
)
UNMAPPED_MANY = N_(
    "%(title)s (%(count)s people in %(source)s) is not in the role table; say what it gives "
    "(staff, volunteer, governor, supply or none), e.g. job_titles: {%(example)s}"
)
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

# in the order a line is read back: the most particular first ("… (suggested)" before the
# sentence it follows, "the policy folder: folder not found" before "%(folder)s: …")
SETUP_SENTENCES = (
    SUGGESTED,
    ROW_LEFT_OUT,
    UNMAPPED_ONE,
    UNMAPPED_MANY,
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
)


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
        return say_sentence(line, sentences, language)
    sentence = say_sentence(problem, sentences, language)
    return translations(language).gettext(_FIELD) % {"field": field, "problem": sentence}
