"""Benchmarks of the Social Value Ledger: ``python -m bench.run`` (``make bench``)."""
