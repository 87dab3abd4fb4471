"""Benchmarks that print their figures (no timed assertions in tests)."""
