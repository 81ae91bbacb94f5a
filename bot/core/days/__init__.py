"""Dates and days: today in the school's zone and sending windows, working days per nation, and one
rule for every date a person types or a file brings in."""
