"""Indicator lists shared by collectors and analysis: one place to read and extend them."""
