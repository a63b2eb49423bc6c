"""Bulk import of archives from Excel and CSV (DOMAIN.md §2): template, per-row report, background jobs."""
