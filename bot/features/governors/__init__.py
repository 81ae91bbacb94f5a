"""The governors' room: the termly governors' report (figures only, never names or report
details) as a page, a PDF and a CLI command."""
