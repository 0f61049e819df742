"""Framework versions: the one that ships (package data, read once at bootstrap) and the ones
administrators publish, each loaded from its stream with any corrections and proxy values."""

from __future__ import annotations

import csv
from collections.abc import Awaitable, Callable
from importlib import resources

from svledger.envelope import EventEnvelope
from svledger.errors import NotFound, ValidationFailed

from commitments.domain.framework import Framework, FrameworkVersion, Measure

DEFAULT_FRAMEWORK_VERSION = "cm-toms-2023"
DEFAULT_FRAMEWORK_TITLE = "Cheshire and Merseyside Social Value Measurement Framework (TOMs)"

Load = Callable[[str], Awaitable[list[EventEnvelope]]]


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
        title=DEFAULT_FRAMEWORK_TITLE,
    )


class Frameworks:
    """Finds framework versions; the built-in default needs no event to exist."""

    def __init__(self, built_in: Framework) -> None:
        self.built_in = built_in

    @property
    def default_version(self) -> str:
        """The version a tender, contract or pledge pins when none is named."""
        return self.built_in.version

    async def find(self, load: Load, version: str) -> FrameworkVersion | None:
        """The version as it stands, or None when nobody published it."""
        built_in = self.built_in if version == self.built_in.version else None
        return FrameworkVersion.load(await load(FrameworkVersion.stream_id(version)), built_in)

    async def require(self, load: Load, version: str) -> FrameworkVersion:
        """The version, or 404."""
        found = await self.find(load, version)
        if found is None:
            raise NotFound(f"framework {version} was not found; see GET /frameworks")
        return found

    async def pinned(self, load: Load, version: str | None, field: str) -> Framework:
        """The version a command names in ``field`` (the default when None); 422 if unknown."""
        found = await self.find(load, version or self.default_version)
        if found is None:
            raise ValidationFailed(
                f"framework {version} was not found; see GET /frameworks", field=field
            )
        return found.framework
