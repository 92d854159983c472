"""Benchmarks: each prints what it measured against a baseline taken in the same run."""
