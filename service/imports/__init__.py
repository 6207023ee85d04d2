"""Bringing an authority's caseload in: the events template (CSV or XLSX) and SEN2 returns.

Every row goes through the real application (the same rules as a caseworker's event); a row
that breaks one is rejected, never stored and never fixed, and its case's other rows are not
imported (a case is all or nothing). `reading` reads files, `events` maps rows to events and
records them, `sen2` turns a return into rows, `report` is the rejection report.
"""
