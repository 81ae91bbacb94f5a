"""Recurring tasks with owners.

Recurring tasks are requirements of kind ``recurring_task`` (the engine is in
``bot.engine.duties``). Owners share one task: when one of them marks it done, nobody else is
chased for that period. An audience (roles, groups, people) makes everyone in it owe their own::

    cadences:
      task-weekly: {before_due: [], on_due: true, overdue_every_days: 7}
    requirements:
      - id: phone-lock-code
        kind: recurring_task
        title: Change the school phone's lock code
        every: yearly            # the school year from 1 September (yearly_on changes it)
        owners: [office@school.example]
      - id: phone-photos
        kind: recurring_task
        title: Upload and clear the photos on the school phone
        every: weekly            # due by Friday; half-term weeks owe nothing new
        owners: [office@school.example, year4@school.example]
        cadence: task-weekly
      - id: filtering-check
        kind: recurring_task
        title: Check filtering and monitoring
        every: termly            # the configured terms ('Autumn 1' + 'Autumn 2' = Autumn)
        due_days: 21
        owners: [dsl@school.example]

The owner's digest email links to ``/task/<token>``; opening it records nothing, the "Done"
button records a ``TaskCompletion`` and closes the duty for that period. A period nobody marked
done is closed as ``missed`` when the next one begins, and its owners and the DSL team get one
email saying so (``missed.py``); overdue ones escalate like any duty.
"""
