"""A person's data-protection rights, one tracked request each with its one-month clock:
data-protection complaints (Data Protection Act 2018 s.164A: a public form and a staff route,
acknowledged at once, read only by the people the school names, counted per period; kept apart
from safeguarding concerns, which go to the report form), subject access and erasure; and the
retention schedule that disposes of records on time with the audit chain still proved."""
