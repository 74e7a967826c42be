"""Benchmarks of the ledger beside its baselines (``ledger bench``; docs/benchmarks.md).

Run them as modules from the repository root (``python -m benchmarks.suite``): run as
scripts, ``benchmarks/projections.py`` would hide the ``projections`` package.
"""
