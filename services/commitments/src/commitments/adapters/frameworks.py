"""The frameworks that ship with the service (read from package data, once, at bootstrap)."""

from __future__ import annotations

import csv
from importlib import resources

from commitments.domain.framework import Framework, Measure

DEFAULT_FRAMEWORK_VERSION = "cm-toms-2023"


def load_default_framework() -> Framework:
    """The Cheshire and Merseyside TOMs from the roadmap's Appendix A."""
    text = resources.files("commitments.data").joinpath("cm-toms-framework.tsv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return Framework(
        DEFAULT_FRAMEWORK_VERSION,
        (
            Measure(
                code=row["code"],
                theme=row["theme"],
                outcome=row["outcome"],
                wording=row["measure"],
                unit=row["suggested_unit"],
                partner_vcfse_key=row["partner_vcfse_key_measure"] == "yes",
            )
            for row in rows
        ),
    )
