"""What ``init``'s own checks can say once the answers file has been read: each problem is a
line ``field: sentence`` kept as its sentence and values (``field_problem``: the interactive
``init`` asks a field again by its key, ``field_of``) and said in the school's language when
shown. Every sentence is a catalogue sentence (``N_``) with named values; what comes from
elsewhere (a staff list's own row problem, the address library's reason, a policy document's
answer's problem) comes as its own sentence and values too.
"""

from __future__ import annotations

import re

from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Lazy, Msg, Said, spoken

__all__ = ["THE_DIRECTORY", "THE_PLATFORM_DIRECTORY", "contracted", "field_of", "field_problem"]

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


def field_problem(field: str, problem: Text) -> Msg:
    """One problem of the answers: its field, then what is wrong with it."""
    return Msg(_FIELD, field=field, problem=problem)


def field_of(line: Text) -> str:
    """The field a problem names (``field_problem``'s); a line of another kind: its text up
    to the first ": ", as the line was written."""
    if isinstance(line, Msg) and line.message == _FIELD:
        return str(line.values["field"])
    return str(line).partition(": ")[0]


# Welsh's article after a vowel: "i'r", "o'r", "a'r", never "i y" (a directory's name, "y
# cyfeiriadur Microsoft 365", put after a preposition); no English sentence holds these
_ARTICLE = re.compile(r"(?<![\w'])([AaIiOo]) y(?= )")


def contracted(text: Text) -> Lazy:
    """``text`` with Welsh's article joined to the vowel before it ("i'r cyfeiriadur")."""
    return Said(lambda: _ARTICLE.sub(r"\1'r", str(text)) if spoken() == "cy" else str(text))
