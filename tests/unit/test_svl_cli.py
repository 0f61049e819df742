"""The operator's command line, as a buyer or an operator would run it."""

from __future__ import annotations

from pathlib import Path

from svledger.cli import app
from typer.testing import CliRunner


def test_svl_ocds_validate_reports_an_invalid_package_and_fails(tmp_path: Path) -> None:
    package = tmp_path / "package.json"
    package.write_text('{"uri": "not a release package"}', encoding="utf-8")

    result = CliRunner().invoke(app, ["ocds", "validate", str(package)])

    assert result.exit_code == 1
    assert f"{package}: invalid" in result.output


def test_svl_token_issues_a_token_the_services_accept() -> None:
    result = CliRunner().invoke(app, ["token", "--org", "council-a", "--role", "buyer"])

    assert result.exit_code == 0
    assert result.output.count(".") == 2
