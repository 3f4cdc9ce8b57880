"""irkit: incident-response collection and cryptominer hunting for Linux hosts."""

__version__ = "0.1.0"
