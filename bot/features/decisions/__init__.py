"""The decisions and exceptions register.

The policies promise that a pre-existing relationship (a member of staff who is also a pupil's
relative, or connected to a family on social media), a pupil's exceptional use of a personal
device (medical monitoring, with the written agreement), a visitor's use of devices for
multi-agency work and a member of staff's permission to use a personal device in an emergency
are discussed with the DSL or headteacher, and that the decision is *formally recorded*. The
register keeps who it is about (a person in the directory, or a pupil's initials and year group,
or a visitor's name), the decision, the reasons, who decided (the DSL, a deputy or the
headteacher), when, and when to review it. Only the DSL, deputies and headteacher can see it;
every view and change is audited. The sweep emails the decider and the DSL 14 days before the
review date, on the day, then weekly while it is overdue (a cadence named ``decision-review`` in
the school file changes that).
"""
