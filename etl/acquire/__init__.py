"""Acquire: sources and the network into typed records (URLs, page bytes, rejects). No SQL here."""
