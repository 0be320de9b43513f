"""Benchmarks: `make bench` (or `python -m bench [NAME...]`) prints the figures."""
