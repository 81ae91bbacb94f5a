"""The people register: people outside the directory (governors on personal addresses,
volunteers, supply staff) added, changed and marked as left on ``/admin/people`` by the
headteacher or an admin. A change applies at once (``bot.engine.extra_people`` merges the
register with the directory, and the sweep does the same every cycle); every change and every
viewing is in the audit log.
"""
