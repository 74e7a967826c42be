"""Kafka in and out: consume commands, apply them with their positions, answer, dead-letter.

See docs/kafka.md. Entry points: ``ledger consume | post | loadgen`` (:mod:`commands.cli.consume`)
or ``python -m consumers``.
"""
