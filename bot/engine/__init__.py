"""The duties engine: pure duty and reminder rules, the directory (people, missing people and
leavers) and school.yaml sync, the sweep and its typed list of feature steps.
"""
