"""make bench: the product measured against the bare engine in the same run."""
