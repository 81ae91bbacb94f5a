"""Visitors' assurances about phones and photos.

Visitors (contractors, volunteers, other agencies) confirm on ``/visit/<school id>`` — on their
own phone, without an account — that they will follow the school's rules on phones and
photography (``visitor_rules`` in the school file, or the built-in text). Confirmations are kept
for ``visitor_retention_days`` and then deleted by the sweep, which audits the count only.
"""
