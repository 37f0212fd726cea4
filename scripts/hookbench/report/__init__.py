"""The report: a document model, its sections (sweep, security, faults) and build()."""
