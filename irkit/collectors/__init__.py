"""Collectors: one module per artifact family, listed in `registry`."""
