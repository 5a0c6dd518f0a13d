"""The interpreter seat and per-listener audio routing by language."""
