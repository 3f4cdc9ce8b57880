"""Analysis: heuristics that combine signals into explained findings, and IOC extraction."""
