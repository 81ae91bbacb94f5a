"""The headteacher's view: figures, dashboard pages, Teams cards and package, weekly digest,
governors' termly report.
"""
