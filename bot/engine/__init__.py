"""The duties engine: pure duty and reminder rules, directory/config sync, the sweep and its typed
list of feature steps.
"""
