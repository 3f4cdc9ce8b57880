"""One module per CLI command group; `irkit.cli` registers them."""
