"""Alembic environment for the brokerage database."""

from svledger.migrate import run_env

run_env()
