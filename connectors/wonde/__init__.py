"""Wonde connector: one school's staff from its MIS (SIMS, Arbor, Bromcom, ScholarPack...),
read-only, through Wonde's API (see deploy/mis.md)."""
