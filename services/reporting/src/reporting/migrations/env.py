"""Alembic environment for the reporting database."""

from svledger.migrate import run_env

run_env()
