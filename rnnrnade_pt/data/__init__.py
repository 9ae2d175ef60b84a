"""Data: the generic array format, generated and real datasets."""
