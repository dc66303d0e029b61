"""The pure core: clean, extract and dedup as plain functions on plain typed data.

Nothing under ``stream.core`` imports Faust, Kafka or Prometheus; a test in
``tests/unit/test_core_purity.py`` enforces it.
"""
