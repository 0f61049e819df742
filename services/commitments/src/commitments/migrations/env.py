"""Alembic environment for the commitments database."""

from svledger.migrate import run_env

run_env()
