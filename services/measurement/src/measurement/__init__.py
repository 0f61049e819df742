"""Social Value Ledger measurement service."""
