"""Cross-checks with shared government data (DOMAIN.md §6): sources, snapshots, rules, findings, duplicates."""
