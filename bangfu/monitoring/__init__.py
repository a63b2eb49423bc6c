"""Dynamic management (DOMAIN.md §3): annual reviews with spot checks, exit suggestions, relapse monitoring."""
