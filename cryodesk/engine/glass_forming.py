"""Glass-forming-tendency indicator: the reduced glass transition temperature Trg = Tg / Tm.

Basis: Turnbull's criterion (D. Turnbull, Contemp. Phys. 10 (1969) 473): the higher Tg/Tm, the
narrower the window between Tm and Tg in which a supercooled liquid can nucleate and grow
crystals, so the more easily it vitrifies; Trg >= 2/3 is the classic mark of a good glass former
and Kauzmann's "2/3 rule" (Tg/Tm ~ 2/3 for many molecular liquids) sets the scale. Tg values are
the project's measured ``tg`` values (Koop compilation), Tm its measured ``melting_point`` values
(Koop's Tm column and Bradley's melting points, converted to K). Where sources disagree, the
median of each is used and the number of values is stated with the result.

Limits (stated with every value): Trg ignores kinetics (viscosity, fragility, nucleation
barriers); rigid drug-like molecules that crystallise fast from the melt can reach Trg ~ 0.7
(e.g. paracetamol, griseofulvin in the Koop set), so the indicator ranks, it does not decide.
It is stored as the computed property ``glass_forming_trg`` (dimensionless) with that basis.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from cryodesk.domain import Method, PropertyValue, Provenance, utc_now_iso
from cryodesk.domain.units import convert
from cryodesk.engine.jobs import JobContext
from cryodesk.store import Project
from cryodesk.store import quality_queries as qq

PROPERTY = "glass_forming_trg"
SOURCE = "cryodesk_glass_forming"
RULE = "trg-1"
TURNBULL = 2.0 / 3.0
CITATION = "Turnbull, Contemp. Phys. 10 (1969) 473 (reduced glass transition temperature Tg/Tm)"
BASIS = (
    "Trg = median Tg / median Tm (K); Turnbull: Trg >= 2/3 favours glass formation. Ignores kinetics: "
    "a ranking aid, not a verdict."
)
TEMPERATURE_UNITS = ("K", "degC", "degF")


@dataclass(frozen=True, slots=True)
class GlassFormingValue:
    compound_id: int
    trg: float
    tg_k: float
    tm_k: float
    n_tg: int
    n_tm: int
    tm_sources: tuple[str, ...]

    def basis(self) -> str:
        verdict = "above" if self.trg >= TURNBULL else "below"
        return (
            f"Tg/Tm = {self.tg_k:.1f} K / {self.tm_k:.1f} K (median of {self.n_tg} Tg and {self.n_tm} Tm values; "
            f"Tm from {', '.join(self.tm_sources)}); {verdict} Turnbull's 2/3"
        )


@dataclass(slots=True)
class GlassFormingSummary:
    compounds: int = 0
    values_new: int = 0
    above_two_thirds: int = 0
    skipped_units: int = 0
    implausible: int = 0
    basis: str = BASIS
    top: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _kelvin(value: float, unit: str | None) -> float | None:
    if unit not in TEMPERATURE_UNITS:
        return None
    kelvin = convert(value, unit, "K")
    return kelvin if kelvin > 0 else None


def reduced_glass_temperatures(project: Project) -> tuple[list[GlassFormingValue], int]:
    """Trg for every compound with a measured Tg and a measured Tm; also the values skipped for their unit."""
    skipped = 0
    tg: dict[int, list[float]] = {}
    tm: dict[int, list[tuple[float, str]]] = {}
    for prop, bucket in (("tg", tg), ("melting_point", tm)):
        for row in qq.numeric_values(project.db, prop):
            if row.method not in (Method.MEASURED, Method.LITERATURE) or row.value is None:
                continue
            kelvin = _kelvin(row.value, row.unit)
            if kelvin is None:
                skipped += 1
                continue
            entry = kelvin if prop == "tg" else (kelvin, row.source)
            bucket.setdefault(row.compound_id, []).append(entry)  # type: ignore[arg-type]
    out = []
    for compound_id in sorted(tg.keys() & tm.keys()):
        tg_k = statistics.median(tg[compound_id])
        tm_k = statistics.median(v for v, _ in tm[compound_id])
        sources = tuple(sorted({s for _, s in tm[compound_id]}))
        out.append(
            GlassFormingValue(
                compound_id, tg_k / tm_k, tg_k, tm_k, len(tg[compound_id]), len(tm[compound_id]), sources
            )
        )
    return out, skipped


def _flags(value: GlassFormingValue) -> tuple[str, ...]:
    # Tg at or above Tm cannot be: one of the inputs is wrong (often a hydrate's melting point).
    return ("indicator", "implausible") if value.trg >= 1.0 else ("indicator",)


class GlassFormingJob:
    """Compute and store ``glass_forming_trg`` for every compound with Tg and Tm (idempotent)."""

    kind = "glass_forming"

    def params(self) -> dict[str, Any]:
        return {"rule": RULE}

    def fingerprint(self) -> str:
        return RULE

    def run(self, ctx: JobContext) -> GlassFormingSummary:
        project = ctx.project
        values, skipped = reduced_glass_temperatures(project)
        compound_rows = project.compounds.rows_by_ids([v.compound_id for v in values])
        rows = {r.id: r.inchikey for r in compound_rows}
        names = {r.inchikey: r.name for r in compound_rows}
        provenance = Provenance(SOURCE, Method.COMPUTED, RULE, utc_now_iso(), ctx.job_id, CITATION)
        records = [
            PropertyValue(
                rows[v.compound_id],
                PROPERTY,
                round(v.trg, 4),
                None,
                provenance,
                value_text=v.basis(),
                flags=_flags(v),
            )
            for v in values
            if v.compound_id in rows
        ]
        summary = GlassFormingSummary(
            len(records),
            skipped_units=skipped,
            above_two_thirds=sum(1 for v in values if TURNBULL <= v.trg < 1.0),
            implausible=sum(1 for v in values if v.trg >= 1.0),
        )
        with project.db.transaction():
            summary.values_new = project.properties.upsert_many(records)
            project.jobs.save_checkpoint(ctx.job_id, {"done": len(records)}, done=len(records))
        best = sorted((r for r in records if "implausible" not in r.flags), key=lambda r: -(r.value or 0.0))[
            :5
        ]
        summary.top = [f"{names.get(r.inchikey) or r.inchikey}: {r.value:.3f}" for r in best]
        project.jobs.merge_metrics(ctx.job_id, {"summary": summary.as_dict()})
        return summary
