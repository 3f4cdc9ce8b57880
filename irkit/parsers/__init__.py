"""Parsers of host data formats, pure functions over bytes so fixtures can test them."""
