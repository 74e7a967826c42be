"""End-to-end throughput through Kafka by batch size and consumer count (not a test).

    .venv/bin/python -m benchmarks.kafka_e2e [--licences N] [--batch-sizes 200,500]
        [--consumers 1,2] [--partitions P] [--database URL] [--json FILE]

The measurement lives in :mod:`benchmarks.suite_kafka`, shared with ``ledger bench``.
"""

from __future__ import annotations

import sys

from benchmarks.suite_kafka import main

if __name__ == "__main__":
    sys.exit(main())
