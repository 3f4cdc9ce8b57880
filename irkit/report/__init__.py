"""The report of a bundle: the self-contained HTML page and the terminal summary."""
