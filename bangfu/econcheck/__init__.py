"""Household economic-check requests to the civil-affairs check centre and their results (DOMAIN.md §3, §6)."""
