"""compliance-bot: keeps a school's safeguarding and online-safety policies alive all year.

The map: ``core`` (what everything stands on), ``engine`` (duties, reminders, sync, the sweep),
``features/<name>`` (one room per feature), ``web`` and ``cli`` (the shells that mount the
features), ``demo`` (the fictional school). See docs/developers.md, "How it works".
"""
