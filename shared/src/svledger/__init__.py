"""Social Value Ledger common library: event store, relay, consumers, auth, errors."""
