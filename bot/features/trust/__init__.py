"""A trust's safeguarding oversight: each school's headline counts (overdue duties, open reports
by the state of their deadlines, policies overdue for review, whether the school is in preview
or held on its last good settings) on ``/trust`` and in a weekly email to the trust's
safeguarding leads, never a report's content or subject (#54).
"""
