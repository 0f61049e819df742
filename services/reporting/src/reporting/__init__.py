"""Social Value Ledger reporting service."""
