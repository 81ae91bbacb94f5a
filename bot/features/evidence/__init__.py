"""An inspector's evidence pack: one zip an inspector can check for themselves.

The pack holds a dated PDF summary, one CSV per table of facts (the same facts), a plain-words
README and a manifest of every file's SHA-256 signed with an ECDSA P-256 key derived from the
school's secret key (what OpenSSL, a Mac's LibreSSL and Windows' PowerShell can check). The
public key travels in the pack; its fingerprint is given to the inspector separately, so the
pack verifies offline without the school's secret. Nothing of a report's content, and no name
of a child or a reporter, is ever put in a pack.
"""
