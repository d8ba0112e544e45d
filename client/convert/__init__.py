"""Conversions between hikari entities and the Kura wire contract, one module per entity."""
