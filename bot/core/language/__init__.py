"""Every sentence a person reads: the message catalogue (en, cy, cy+en), the school's words,
sentences kept as data until shown, words about time written at sending, and the check that nothing
is said outside the catalogue."""
