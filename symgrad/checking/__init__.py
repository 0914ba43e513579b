"""Cross-checks and homework verification."""
