"""Alembic environment for the measurement database."""

from svledger.migrate import run_env

run_env()
