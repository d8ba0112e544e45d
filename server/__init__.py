"""The Kura cache server: gRPC over SQLite. It speaks protobuf and never imports hikari."""
