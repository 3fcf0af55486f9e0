"""Ingestors: one module per source, each turning what the source returns into canonical records.

No ingestor writes to a store directly; ``ingest.load`` hands their batches to one.
"""
