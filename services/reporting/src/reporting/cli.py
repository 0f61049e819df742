"""Reporting's command line: ``python -m reporting.cli validate-ocds package.json``.

Buyers check an OCDS release package before publishing it, offline, against the schemas this
service ships (OCDS 1.1.5 with the metrics extension, codelists included). The same command
belongs under ``svl`` (``svl ocds validate``); until shared's ``svl`` mounts it, run it here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reporting.adapters.ocds_validation import parse, validate_package

app = typer.Typer(help="Social Value Ledger reporting tools.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Reporting tools."""


@app.command("validate-ocds")
def validate_ocds(
    packages: Annotated[
        list[Path], typer.Argument(help="OCDS release package files (JSON)", exists=True)
    ],
) -> None:
    """Validate release packages against OCDS 1.1.5 with the metrics extension, offline."""
    failed = False
    for path in packages:
        validation = validate_package(parse(path.read_text(encoding="utf-8")))
        for problem in validation.errors:
            typer.echo(f"{path}: error: {problem}")
        for problem in validation.warnings:
            typer.echo(f"{path}: warning: {problem}")
        verdict = "valid" if validation.valid else "invalid"
        typer.echo(
            f"{path}: {verdict} ({len(validation.errors)} errors, "
            f"{len(validation.warnings)} warnings)"
        )
        failed = failed or not validation.valid
    raise typer.Exit(1 if failed else 0)


if __name__ == "__main__":
    app()
