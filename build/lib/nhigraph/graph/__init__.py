"""The graph: canonical model, store contract and the two stores (embedded, Neo4j)."""
