"""Social Value Ledger commitments service."""
