"""The safer-recruitment health check: the gaps in the single central record (SCR), without
holding vetting data.

The school's SCR spreadsheet is read for whether and when each check was done (``scr import``);
columns holding certificate or DBS numbers, documents or identity details are skipped and
named, never read. Joined with the people working here, their safeguarding training and the
interview panels, the pure rules find the gaps; the sweep keeps the list live, closing (and
auditing) gaps that disappear and telling the SCR owner of new ones once, in their weekly
reminder email (an email of its own when they have none that week).
Only the headteacher and the named SCR owner see a gap with a name (``/scr``); everyone else
sees counts.
"""
