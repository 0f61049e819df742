"""Social Value Ledger brokerage service."""
