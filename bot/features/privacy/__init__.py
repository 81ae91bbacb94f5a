"""Data-protection complaints (Data Protection Act 2018 s.164A, in force 19 June 2026): a public
form and a staff route, acknowledged at once, read only by the people the school names,
warned before the 30 days and the outcome date run out, counted per period. Kept apart from
safeguarding concerns, which go to the report form."""
