"""One room per feature. A room's files play these roles, and a room has the ones it needs:

- ``rules.py``: pure decisions (data and ``today`` in, no database)
- ``service.py``: reads and writes (the database, the outbox)
- ``step.py``: its part of the sweep (wired in ``bot/wiring.py``)
- ``web.py``: its pages (a router the app mounts)
- ``cli.py``: its commands (on ``bot/cli``)
- ``templates/``: its pages' and emails' templates
- ``api.py``: its public face, the only module another room may import

What each room has of these, and why not the rest (``tests/test_layout.py`` holds every room to
this list: a new room, or a file added or removed, fails there until the list says so):

accounts: rules service step web templates api. No cli: holders and handovers are kept on
    the accounts pages.
chatbot: service web. No rules.py or templates: its pure part is cards.py (Chat cards v2,
    not HTML); no step: the weekly cards are the reminders'; no cli: its smoke test is
    tools.chat_smoke; no api: no other room uses it.
dashboard: rules web cli templates api. No service: it reads what others write (figures.py,
    drilldown.py); no step.py: its sweep step is the weekly digest's, in digest.py.
decisions: rules service step web cli templates api.
evidence: rules service web cli templates. No step: a pack is made when asked; no api: the
    signing the trust board's pack shares is ``bot.core.rendering.signed``.
governors: web cli templates api. No rules, service or step: report.py gathers the dashboard's
    figures for a term and lays them out, on request.
people: rules service web templates. No step: the sweep merges the register
    (``bot.engine.extra_people``); no cli: the register is kept on its page; no api: no other
    room uses it.
policies: rules step web cli templates api. No service.py: its service is split by what it owns
    (register.py, intake.py, attest.py, review.py, alerts.py, store.py).
privacy: rules service step web cli templates api. One room for a person's data-protection
    rights: complaints, subject access and erasure requests share one tracked request and clock;
    the retention schedule (retention.py, pure), disposal on time with the audit chain kept
    (disposal.py) and erasure and legal holds (erasure.py).
reading: service cli api. No rules or step: an edition's duties are the engine's
    (``bot.engine.duties``); no web or templates: editions are registered by command and read
    on the policies room's pages.
reports: rules step cli templates api. No service.py or web.py: both are split by what they own
    (intake.py, routing.py, actions.py, listing.py, export.py, mirror.py; web_intake.py,
    web_list.py).
scr: rules service step web cli templates api. Its spreadsheet reading is sheet.py (whether and
    when only; vetting columns skipped), the owner's weekly email owner.py.
setup: rules service web cli templates api. No step: setup happens when asked.
signin: rules service web templates. No step: a link expires by its time; no cli: nothing to
    run at the terminal; no api: no other room uses it.
tasks: rules service step web cli templates api.
teamsbot: service step web api. No rules.py or templates: its pure part is cards.py (Adaptive
    Cards, not HTML); no cli: ``teams package`` is the
    dashboard room's.
training: service web cli templates. No rules or step: training duties are the engine's
    (``bot.engine.duties``); no api: no other room uses it.
trust: rules service step web cli templates. No api: no other room uses it.
visitors: rules service step web cli templates api.
"""
