"""The Kura client: hikari's cache Backend interface, forwarded to a Kura server over gRPC."""
