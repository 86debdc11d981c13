"""Operator commands (``linkage``): what a county's or a province's operators run by hand."""
