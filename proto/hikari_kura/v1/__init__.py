"""The Kura wire contract: Python code generated from the ``.proto`` files beside it."""
