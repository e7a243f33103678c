"""The lineage graph: column lineage from SQL and the guards around parsing it."""
