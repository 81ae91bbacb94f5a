"""Reading campaigns: a named edition of a document the publisher issues (Keeping children
safe in education 2026, Part one or Annex A), read and acknowledged every school year by the
audiences a requirement names. Not a policy: no governors' review, not in the register."""
