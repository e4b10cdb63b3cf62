"""Mixture workflows over a project: create a recipe, show it, predict Tg/viscosity/viability, Tg curves.

The numbers come from :mod:`cryodesk.mixtures`: the composition solver and Gordon–Taylor Tg (through
:func:`cryodesk.engine.views.mixture_report`, which reads molar masses, densities and pure Tg from the
store), and the learned viscosity and viability models, which are trained from data files by
:func:`train_mixture_models`, saved as hash-checked artefacts and registered in the project's model
registry as ``mixture_viscosity`` and ``mixture_viability``. The compound prediction service
(:mod:`cryodesk.engine.prediction`) is keyed by one InChIKey per row, so mixture predictions are a separate
engine call, :func:`predict_mixture` (``Workbench.predict_mixture``).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cryodesk.domain import ComponentRole, InputError, Mixture, MixtureComponent, ProjectError, utc_now_iso

if TYPE_CHECKING:
    from cryodesk.engine.service import Workbench
    from cryodesk.mixtures.composition import CompositionBreakdown
    from cryodesk.mixtures.glass_transition import TgCurve

VISCOSITY_MODEL = "mixture_viscosity"
VIABILITY_MODEL = "mixture_viability"
USER_SOURCE = "user"
DEFAULT_T_K = 298.15


# -- creating mixtures --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComponentSpec:
    """One ``NAME:AMOUNT:UNIT:ROLE`` component as typed by a user (amount/unit empty for the remainder)."""

    name: str
    amount: float | None
    unit: str | None
    role: ComponentRole


def parse_component_spec(text: str, position: int = 1) -> ComponentSpec:
    """Read ``"glycerol:20:%w/v:penetrating"`` (role optional; ``"water"`` alone fills the remainder).

    Raises:
        InputError: naming the component's position, the field and the reason.
    """
    from cryodesk.mixtures import UnitError, parse_unit

    parts = [p.strip() for p in text.split(":")]
    where = f"component {position} ({text!r})"
    if not parts[0]:
        raise InputError(f"{where}, field 'name': empty")
    if len(parts) > 4:
        raise InputError(f"{where}: expected NAME:AMOUNT:UNIT[:ROLE], got {len(parts)} fields")
    name = parts[0]
    amount_text = parts[1] if len(parts) > 1 else ""
    unit_text = parts[2] if len(parts) > 2 else ""
    role_text = parts[3] if len(parts) > 3 else ""
    amount = unit = None
    if amount_text:
        try:
            amount = float(amount_text)
        except ValueError:
            raise InputError(f"{where}, field 'amount': {amount_text!r} is not a number") from None
        if not math.isfinite(amount) or amount < 0:
            raise InputError(f"{where}, field 'amount': must be a finite number >= 0")
        if not unit_text:
            raise InputError(
                f"{where}, field 'unit': an amount needs a unit (% w/v, % w/w, % v/v, M, mM, m, x)"
            )
        try:
            unit = parse_unit(unit_text).value
        except UnitError as exc:
            raise InputError(f"{where}, field 'unit': {exc}") from None
    elif unit_text:
        raise InputError(f"{where}, field 'amount': a unit without an amount")
    if role_text:
        try:
            role = ComponentRole(role_text.lower().replace("-", "_"))
        except ValueError:
            known = ", ".join(r.value for r in ComponentRole)
            raise InputError(f"{where}, field 'role': {role_text!r} is not one of {known}") from None
    else:
        role = ComponentRole.WATER if name.lower() == "water" else ComponentRole.OTHER
    return ComponentSpec(name, amount, unit, role)


def _resolve_name(wb: Workbench, name: str) -> str | None:
    """InChIKey for a component name: the project's identifiers first, then the offline resolver."""
    keys = wb.resolve(name)
    if len(keys) == 1:
        return keys[0]
    if len(keys) > 1:
        raise InputError(f"component {name!r} is ambiguous in this project: {', '.join(keys[:5])}")
    found = wb.resolve_identifiers([name], offline=True, save=not wb.project.read_only)[0]
    return found.inchikey if found.resolved and not found.conflict else None


def create_mixture(
    wb: Workbench,
    name: str,
    components: Sequence[str | ComponentSpec],
    *,
    citation: str | None = None,
    notes: str | None = None,
) -> Mixture:
    """Store a new mixture; component names are resolved to compounds (unresolved ones are kept by name).

    Raises:
        InputError: a bad component (position, field, reason), or no components.
        ProjectError: a mixture of that name exists (stored recipes are never rewritten) or the project
            is read-only.
    """
    name = name.strip()
    if not name:
        raise InputError("a mixture needs a name")
    specs = [
        c if isinstance(c, ComponentSpec) else parse_component_spec(c, i)
        for i, c in enumerate(components, start=1)
    ]
    if not specs:
        raise InputError(f"mixture {name!r}: give at least one --component NAME:AMOUNT:UNIT[:ROLE]")
    if wb.project.read_only:
        raise ProjectError("the project is open read-only")
    if wb.mixture(name) is not None:
        raise ProjectError(f"a mixture named {name!r} already exists")
    built = []
    for spec in specs:
        key = (
            None
            if spec.role in (ComponentRole.WATER, ComponentRole.CARRIER)
            else _resolve_name(wb, spec.name)
        )
        note = (
            None
            if key or spec.role in (ComponentRole.WATER, ComponentRole.CARRIER)
            else "not resolved to a compound: no molar mass, density or Tg from the store"
        )
        built.append(MixtureComponent(spec.name, spec.amount, spec.unit, spec.role, key, note))
    mixture = Mixture(name, tuple(built), "user-defined", citation, None, "user", notes)
    wb.project.mixtures.upsert_many([mixture], source=USER_SOURCE)
    stored = wb.mixture(name)
    assert stored is not None
    return stored


# -- prediction -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PredictedValue:
    """One predicted number with its interval, unit, basis and whether the inputs are in the model's domain."""

    value: float
    lower: float | None
    upper: float | None
    unit: str
    basis: str
    interval: str  # what lower/upper mean ("95 % (±1.96σ)", "90 % conformal")
    in_domain: bool | None = None
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "lower": self.lower,
            "upper": self.upper,
            "unit": self.unit,
            "basis": self.basis,
            "interval": self.interval,
            "in_domain": self.in_domain,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class MixturePrediction:
    """Everything predicted for one mixture; a missing number comes with the reason in ``problems``.

    Attributes:
        name: the mixture's name.
        tg: solution Tg (Gordon–Taylor/Fox, K); never Tg′.
        viscosity: log10 of viscosity in cP at ``temperature_K``.
        viability: expected post-thaw viability (%), from literature formulations (heterogeneous cells
            and protocols, so read it as a ranking aid, not a promise).
        temperature_K: temperature of the viscosity prediction.
        problems: why a number is missing or what it leaves out, per property.
        composition: the per-litre breakdown (None when it could not be computed).
        tg_prime: estimated Tg′ (K) of a one-solute aqueous mixture, kept apart from ``tg``: the glass
            curve at W′g (:func:`cryodesk.mixtures.glass_transition.estimate_tg_prime`).
    """

    name: str
    tg: PredictedValue | None
    viscosity: PredictedValue | None
    viability: PredictedValue | None
    temperature_K: float
    problems: dict[str, tuple[str, ...]] = field(default_factory=dict)
    composition: CompositionBreakdown | None = None
    tg_prime: PredictedValue | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "temperature_K": self.temperature_K,
            "tg_K": None if self.tg is None else self.tg.as_dict(),
            "tg_prime_K": None if self.tg_prime is None else self.tg_prime.as_dict(),
            "log10_viscosity_cP": None if self.viscosity is None else self.viscosity.as_dict(),
            "viability_percent": None if self.viability is None else self.viability.as_dict(),
            "problems": {k: list(v) for k, v in self.problems.items()},
        }


class _OneMixtureView:
    """Lets :func:`~cryodesk.engine.views.mixture_report` read an unsaved mixture: it only asks the workbench
    for ``mixture(name)`` and the project's database."""

    def __init__(self, wb: Workbench, mixture: Mixture) -> None:
        self.project = wb.project
        self._mixture = mixture

    def mixture(self, name: str) -> Mixture | None:
        return self._mixture if name == self._mixture.name else None


def _report(wb: Workbench, name_or_mixture: str | Mixture) -> Any:
    from cryodesk.engine.views import mixture_report

    if isinstance(name_or_mixture, Mixture):
        return mixture_report(_OneMixtureView(wb, name_or_mixture), name_or_mixture.name)  # type: ignore[arg-type]
    report = mixture_report(wb, name_or_mixture)
    if report is None:
        raise ProjectError(f"no mixture named {name_or_mixture!r} in this project")
    return report


def _load_registered(wb: Workbench, name: str) -> tuple[Any | None, str | None]:
    from cryodesk.engine.training import artefact_path
    from cryodesk.ml import ArtefactIntegrityError, load_model

    row = wb.project.models.promoted(name)
    if row is None:
        return None, f"no {name} model in this project: run `cryodesk mixture train` first"
    try:
        return load_model(artefact_path(wb.project, row), row.artefact_sha256 or ""), None
    except ArtefactIntegrityError as exc:
        return None, f"{name} v{row.version}: {exc}"


def load_viscosity_model(wb: Workbench) -> tuple[Any | None, str | None]:
    """The promoted viscosity model, or why there is none usable.

    A model trained with other viscosity features (an older CryoDesk) cannot read today's columns, so
    it is refused with the way out rather than left to fail on a column count.
    """
    from cryodesk.mixtures.viscosity import VISCOSITY_FEATURE_VERSION

    model, why = _load_registered(wb, VISCOSITY_MODEL)
    found = getattr(model, "feature_version", "")
    if model is not None and found != VISCOSITY_FEATURE_VERSION:
        return None, (
            f"the promoted {VISCOSITY_MODEL} model was trained with older features (version "
            f"{found or '3 or earlier'}; this CryoDesk uses {VISCOSITY_FEATURE_VERSION}): "
            "retrain it with `cryodesk mixture train`"
        )
    return model, why


def _smiles_of(wb: Workbench, keys: Sequence[str]) -> dict[str, str]:
    out = {}
    for key in keys:
        compound = wb.project.compounds.get(key)
        if compound is not None:
            out[key] = compound.smiles
    return out


def _viscosity(
    wb: Workbench, breakdown: CompositionBreakdown | None, T: float
) -> tuple[PredictedValue | None, list[str]]:
    from cryodesk.mixtures.featurize import VISCOSITY_DESCRIPTORS, component_descriptors
    from cryodesk.mixtures.viscosity import WATER_INCHIKEY

    if breakdown is None or breakdown.partial:
        return None, ["needs the full composition (mole fractions, water included)"]
    model, why = load_viscosity_model(wb)
    if model is None:
        return None, [why or ""]
    notes, components = [], []
    for row in breakdown.rows:
        key = WATER_INCHIKEY if row is breakdown.water else row.inchikey
        if row.mole_fraction is None or row.mole_fraction <= 0:
            continue
        if key is None:
            notes.append(f"{row.name}: no compound, left out (x = {row.mole_fraction:.3f})")
            continue
        components.append((key, float(row.mole_fraction)))
    unseen = [k for k, _x in components if k not in model.featurizer.component_features]
    if unseen:  # descriptors of compounds the training data never held; pure-liquid values stay unknown
        desc, _bad = component_descriptors(_smiles_of(wb, unseen), VISCOSITY_DESCRIPTORS)
        for key, vec in desc.items():
            model.featurizer.component_features[key] = np.concatenate([vec, [np.nan, np.nan]])
        notes.append(f"{len(unseen)} component(s) not in the training data: described by structure only")
    if len(components) > 2:
        notes.append(f"{len(components)} components: the model was trained on pure liquids and binaries")
    pred = model.predict(components, T)
    return PredictedValue(
        pred["log10_cp"],
        pred["lower"],
        pred["upper"],
        "log10(cP)",
        f"{VISCOSITY_MODEL}: ideal (Arrhenius) mixing + learned excess, T = {T:g} K",
        f"{100 * (1 - (pred['alpha'] or 0.1)):.0f} % conformal ({_interval_basis(model)})",
        pred["in_domain"],
        tuple(notes),
    ), []


def _interval_basis(model: Any) -> str:
    """What a viscosity model's conformal interval was calibrated on (models trained before grouped folds)."""
    if getattr(getattr(model.model, "config", None), "grouped_oof", False):
        return "calibrated on pairs held out of the inner folds"
    return "random inner folds: optimistic for unseen pairs"


def _viability(
    wb: Workbench, breakdown: CompositionBreakdown | None
) -> tuple[PredictedValue | None, list[str]]:
    from cryodesk.mixtures.featurize import component_descriptors
    from cryodesk.mixtures.viability import Formulation

    if breakdown is None:
        return None, ["needs a per-litre breakdown of the composition"]
    model, why = _load_registered(wb, VIABILITY_MODEL)
    if model is None:
        return None, [why or ""]
    feats = model.features
    stem_of_key = {hit[0]: stem for stem, hit in feats.resolved.items() if hit}
    amounts, notes, new_resolved, new_roles = [], [], {}, {}
    for row in breakdown.solutes:
        if row.role in (ComponentRole.POLYMER, ComponentRole.CARRIER) or row.inchikey is None:
            if row.percent_wv is not None and row.role is ComponentRole.POLYMER:
                amounts.append((f"user:{row.name}", row.percent_wv, "%"))
                new_roles[f"user:{row.name}"] = ComponentRole.POLYMER.value
            else:
                notes.append(f"{row.name}: no compound or amount, left out")
            continue
        stem = stem_of_key.get(row.inchikey, f"ik:{row.inchikey}")
        if row.molarity is None:
            notes.append(f"{row.name}: no molar mass, left out")
            continue
        if stem.startswith("ik:"):
            new_resolved[stem] = (row.inchikey, "")
            new_roles[stem] = row.role.value
        amounts.append((stem, float(row.molarity), "M"))
    if new_resolved:
        smiles = _smiles_of(wb, [hit[0] for hit in new_resolved.values()])
        desc, _bad = component_descriptors(smiles)
        feats.add_compounds(new_resolved, desc, new_roles)
        notes.append(f"{len(new_resolved)} ingredient(s) never seen in the formulation data")
    if not amounts:
        return None, ["no component the viability model can use"]
    pred = model.predict([Formulation(breakdown.name or "mixture", math.nan, tuple(sorted(amounts)), (), 0)])
    return PredictedValue(
        _percent(float(pred.value[0])),
        _percent(None if pred.lower is None else float(pred.lower[0])),  # type: ignore[arg-type]
        _percent(None if pred.upper is None else float(pred.upper[0])),
        "%",
        f"{VIABILITY_MODEL}: literature formulations (cell types and protocols vary)",
        f"{100 * (1 - (pred.alpha or 0.1)):.0f} % conformal",
        None,
        tuple(notes),
    ), []


def _percent(value: float | None) -> float | None:
    """Viability is a percentage: clip the model's raw output and interval to 0-100."""
    return None if value is None else float(min(100.0, max(0.0, value)))


def predict_mixture(
    wb: Workbench, name_or_mixture: str | Mixture, *, temperature_K: float = DEFAULT_T_K
) -> MixturePrediction:
    """Tg, viscosity and viability of a stored (by name) or unsaved mixture, each with its uncertainty.

    Raises:
        ProjectError: no stored mixture of that name.
    """
    report = _report(wb, name_or_mixture)
    problems: dict[str, tuple[str, ...]] = {}
    tg = None
    if report.tg is not None:
        t = report.tg
        tg = PredictedValue(
            t.tg_K,
            t.lower95_K,
            t.upper95_K,
            "K",
            f"{t.model.value} solution Tg (not Tg′)",
            f"95 % ({t.uncertainty_method})",
            None,
            tuple(t.assumptions),
        )
    problems["tg"] = tuple(report.tg_problems)
    tg_prime, problems["tg_prime"] = _tg_prime(report)
    problems["composition"] = tuple(report.composition_problems)
    viscosity, why = _viscosity(wb, report.breakdown, temperature_K)
    problems["viscosity"] = tuple(why)
    viability, why = _viability(wb, report.breakdown)
    problems["viability"] = tuple(why)
    return MixturePrediction(
        report.mixture.name,
        tg,
        viscosity,
        viability,
        temperature_K,
        {k: v for k, v in problems.items() if v},
        report.breakdown,
        tg_prime,
    )


def _tg_prime(report: Any) -> tuple[PredictedValue | None, tuple[str, ...]]:
    """Tg′ estimate for a mixture with one glass-forming solute in water (typical W′g), else the reason."""
    from cryodesk.mixtures import MissingQuantityError
    from cryodesk.mixtures.glass_transition import GlassFormer, MixtureTgModel, estimate_tg_prime

    if report.tg is None:
        return None, ("no Tg′ estimate: no solution Tg model for this mixture",)
    solutes = [n for n, w in report.tg.mass_fractions.items() if n != "water" and w > 0]
    if len(solutes) != 1 or solutes[0] not in report.tg_inputs:
        return None, ("Tg′ is estimated only for one solute in water (W′g of mixtures is not known)",)
    name = solutes[0]
    try:
        model = MixtureTgModel([GlassFormer(name, report.tg_inputs[name], None, _density(report, name))])
        est = estimate_tg_prime(model, name)
    except (ValueError, MissingQuantityError) as exc:  # e.g. no density for the Simha–Boyer k
        return None, (f"no Tg′ estimate: {exc}",)
    value = PredictedValue(
        est.tg_prime_K, est.lower95_K, est.upper95_K, "K", "Tg′ estimate: " + est.basis, "95 % (±1.96σ)", None,
        tuple(est.solution.assumptions),
    )  # fmt: skip
    return value, ()


def tg_curve(wb: Workbench, name: str, points: int = 41) -> TgCurve:
    """Tg versus total solute mass fraction at the mixture's solute proportions.

    Raises:
        ProjectError: no such mixture, or no Tg estimate possible (the reasons are in the message).
    """
    from cryodesk.mixtures.glass_transition import GlassFormer, MixtureTgModel

    report = _report(wb, name)
    if report.tg is None:
        raise ProjectError(f"no Tg curve for {name}: " + " ".join(report.tg_problems))
    formers = [
        GlassFormer(n, report.tg_inputs[n], None, _density(report, n))
        for n in report.tg.mass_fractions
        if n != "water" and n in report.tg_inputs
    ]
    proportions = {n: w for n, w in report.tg.mass_fractions.items() if n != "water" and w > 0}
    return MixtureTgModel(formers).curve(proportions, np.linspace(0.0, 1.0, points))


def _density(report: Any, name: str) -> Any:
    from cryodesk.mixtures import SourcedValue

    for c in report.components:
        if c.name == name and c.density:
            return SourcedValue(float(c.density.split()[0]), c.density_basis)
    return None


# -- training -----------------------------------------------------------------------------------------
def read_csv_records(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV table as dicts; a file that cannot be read raises InputError saying why in words."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return list(csv.DictReader(fh))
    except FileNotFoundError:
        raise InputError(f"{path.name} does not exist") from None
    except PermissionError:
        raise InputError(f"{path.name} may not be read (permission denied)") from None
    except IsADirectoryError:
        raise InputError(f"{path.name} is a folder, not a table") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path.name} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position {exc.start});"
            " a CSV table is expected"
        ) from None


def viscosity_rows(
    records: Sequence[Mapping[str, str]],
) -> tuple[list[Any], dict[str, np.ndarray], list[str]]:
    """Viscosity rows keyed by InChIKey, component descriptors, and problems (row, field, reason)."""
    from cryodesk.chem.identity import compound_from_text
    from cryodesk.mixtures.featurize import VISCOSITY_DESCRIPTORS, component_descriptors
    from cryodesk.mixtures.viscosity import viscosity_rows_from_records

    smiles = sorted({r.get(f"SMILES_{j}") or "" for r in records for j in (0, 1)} - {""})
    key_of, smiles_of_key, problems = {}, {}, []
    for s in smiles:
        ident = compound_from_text(s, "smiles")
        if ident.compound is None:
            problems.append(f"SMILES {s!r}: {ident.error}")
            continue
        key_of[s] = ident.compound.inchikey
        smiles_of_key.setdefault(ident.compound.inchikey, ident.compound.smiles)
    rows, row_problems = viscosity_rows_from_records(records, key_of)
    descriptors, _bad = component_descriptors(smiles_of_key, VISCOSITY_DESCRIPTORS)
    return rows, descriptors, problems + row_problems


@dataclass(frozen=True)
class IngredientResolution:
    """How a formulation-table ingredient was mapped to a compound (or why not)."""

    stem: str
    query: str
    role: str
    inchikey: str | None
    smiles: str | None
    method: str | None
    confidence: float
    reason: str | None = None


def resolve_ingredients(wb: Workbench, stems: Sequence[str]) -> list[IngredientResolution]:
    """Map ingredient column stems to compounds with the resolver's offline strategies (store, parse, OPSIN).

    Macromolecules (polymers, serum proteins) are not looked up: they have no single structure.
    """
    from cryodesk.mixtures.viability import PROTEIN, ingredient_for

    todo = [ingredient_for(s) for s in stems]
    small = [i for i in todo if i.role not in (ComponentRole.POLYMER.value, PROTEIN)]
    found = {
        i.stem: r
        for i, r in zip(small, wb.resolve_identifiers([i.query for i in small], offline=True), strict=True)
    }
    out = []
    for ing in todo:
        r = found.get(ing.stem)
        if r is None:
            out.append(
                IngredientResolution(
                    ing.stem, ing.query, ing.role, None, None, None, 0.0, "macromolecule: no single structure"
                )
            )
        elif not r.resolved:
            reason = r.error or "; ".join(r.messages) or "not found"
            out.append(
                IngredientResolution(
                    ing.stem, ing.query, ing.role, None, None, r.method, r.confidence, reason
                )
            )
        else:
            # A conflict (e.g. glucose: anomers/stereo forms from different strategies) keeps the resolver's
            # best answer, and says so: the descriptors used here do not see stereochemistry.
            note = (
                (
                    f"conflict: best of {1 + len(r.alternatives)} candidates taken "
                    f"(others: {', '.join(c.inchikey for c in r.alternatives[:3])})"
                )
                if r.conflict
                else None
            )
            smiles = r.smiles or (_smiles_of(wb, [r.inchikey]).get(r.inchikey or "") if r.inchikey else None)
            out.append(
                IngredientResolution(
                    ing.stem, ing.query, ing.role, r.inchikey, smiles, r.method, r.confidence, note
                )
            )
    return out


def formulation_inputs(
    wb: Workbench, records: Sequence[Mapping[str, str]]
) -> tuple[
    list[Any],
    list[str],
    dict[str, tuple[str, str] | None],
    dict[str, np.ndarray],
    list[IngredientResolution],
    list[str],
]:
    """Formulations, DOI groups, stem -> (InChIKey, SMILES), descriptors, resolutions and problems."""
    from cryodesk.mixtures.featurize import component_descriptors
    from cryodesk.mixtures.viability import doi_groups, parse_formulations

    formulations, problems = parse_formulations(records)
    stems = sorted({s for f in formulations for s in f.stems})
    resolutions = resolve_ingredients(wb, stems)
    resolved = {r.stem: (r.inchikey, r.smiles or "") if r.inchikey else None for r in resolutions}
    descriptors, _bad = component_descriptors(
        {r.inchikey: r.smiles for r in resolutions if r.inchikey and r.smiles}
    )
    return formulations, doi_groups(formulations), resolved, descriptors, resolutions, problems


def _register(wb: Workbench, name: str, wrapper: Any, trained: Any, extra: Mapping[str, Any]) -> Any:
    from dataclasses import replace as dc_replace

    from cryodesk.engine.training import _relative, models_dir
    from cryodesk.ml import record_for, save_model

    version = wb.project.models.next_version(name)
    path, digest = save_model(wrapper, models_dir(wb.project), f"{name}-v{version}")
    record = record_for(trained, name, version, _relative(wb.project, path), digest)
    record = dc_replace(record, hyperparameters={**record.hyperparameters, **extra})
    row = wb.project.models.register(record.to_row())
    wb.project.models.promote(name, row.version)
    return wb.project.models.get(name, row.version)


def train_mixture_models(
    wb: Workbench,
    *,
    viscosity_csv: Path | None = None,
    formulations_csv: Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Train and register (promoted) the viscosity and/or viability model from data files."""
    from cryodesk.mixtures.viability import train_viability_model
    from cryodesk.mixtures.viscosity import train_viscosity_model

    if wb.project.read_only:
        raise ProjectError("the project is open read-only")
    out: dict[str, Any] = {}
    steps = int(viscosity_csv is not None) + int(formulations_csv is not None)
    done = 0
    if viscosity_csv is not None:
        if progress:
            progress(done, steps, "viscosity: reading and featurising")
        rows, descriptors, problems = viscosity_rows(read_csv_records(Path(viscosity_csv)))
        if len(rows) < 20:
            raise InputError(f"{viscosity_csv}: only {len(rows)} usable rows; problems: {problems[:3]}")
        model = train_viscosity_model(rows, descriptors)
        row = _register(
            wb,
            VISCOSITY_MODEL,
            model,
            model.model,
            {"source_file": str(viscosity_csv), "n_rows": len(rows), "rejected": problems[:20]},
        )
        out[VISCOSITY_MODEL] = {"version": row.version, "rows": len(rows), "rejected": len(problems)}
        done += 1
    if formulations_csv is not None:
        if progress:
            progress(done, steps, "viability: resolving ingredients and training")
        forms, groups, resolved, descriptors, resolutions, problems = formulation_inputs(
            wb, read_csv_records(Path(formulations_csv))
        )
        if len(forms) < 20:
            raise InputError(f"{formulations_csv}: only {len(forms)} usable rows; problems: {problems[:3]}")
        model = train_viability_model(forms, groups, resolved, descriptors)
        unresolved = {r.stem: r.reason for r in resolutions if r.inchikey is None or r.reason}
        row = _register(
            wb,
            VIABILITY_MODEL,
            model,
            model.model,
            {"source_file": str(formulations_csv), "n_rows": len(forms), "unresolved": unresolved},
        )
        out[VIABILITY_MODEL] = {
            "version": row.version,
            "rows": len(forms),
            "rejected": len(problems),
            "unresolved_ingredients": len(unresolved),
        }
        done += 1
    if progress:
        progress(done, steps, "mixture models trained")
    return out


def tg_curve_csv(curve: TgCurve) -> str:
    buffer = io.StringIO()
    curve.to_csv(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------ concentration-response
#: Project meta key of the stored concentration-response fits (one JSON object, series key -> entry).
CONCENTRATION_RESPONSES_KEY = "concentration_responses"


@dataclass(frozen=True, slots=True)
class ConcentrationResponseRun:
    """Fits of every concentration series in a formulation table, as stored, plus the table's problems."""

    entries: list[dict[str, Any]]
    problems: list[str]

    @property
    def fitted(self) -> int:
        return sum("fit" in e for e in self.entries)


def fit_concentration_responses(
    wb: Workbench,
    formulations_csv: Path,
    *,
    r0: float | None = None,
    r_inf: float | None = None,
    min_points: int = 4,
) -> ConcentrationResponseRun:
    """Fit a log-logistic (Hill) curve to every viability-versus-concentration series of the table and store
    each fit in the project with its provenance (file, DOI, constant background, units, when, how).

    A series too short for the free parameters is stored with the reason instead of a fit; fixing ``r0``
    (viability without the ingredient) or ``r_inf`` frees a point. Earlier fits of other series are kept.
    """
    from cryodesk.mixtures.dose_response import FitError, concentration_series, fit_hill
    from cryodesk.mixtures.viability import parse_formulations

    if wb.project.read_only:
        raise ProjectError("the project is open read-only")
    formulations, problems = parse_formulations(read_csv_records(formulations_csv))
    fitted_at = utc_now_iso()
    entries = []
    for series in concentration_series(formulations, min_points):
        entry: dict[str, Any] = {
            "key": series.key,
            "doi": series.doi,
            "ingredient": series.ingredient,
            "background": list(series.background),
            "points": [
                list(p) for p in zip(series.concentrations, series.responses, series.replicates, strict=True)
            ],
            "source_file": formulations_csv.name,
            "fitted_at": fitted_at,
        }
        try:
            fit = fit_hill(series.concentrations, series.responses, r0=r0, r_inf=r_inf,
                           concentration_unit=series.unit, response_unit="% viability",
                           source=f"{formulations_csv.name}, doi {series.doi}")  # fmt: skip
            entry["fit"] = {**fit.to_dict(), "identifiable": fit.identifiable}
        except FitError as exc:
            entry["error"] = str(exc)
        entries.append(entry)
    stored = stored_concentration_responses(wb.project)
    stored.update({e["key"]: e for e in entries})
    wb.project.meta.set(CONCENTRATION_RESPONSES_KEY, json.dumps(stored))
    return ConcentrationResponseRun(entries, problems)


def stored_concentration_responses(project: Any) -> dict[str, dict[str, Any]]:
    """The stored fits, series key -> entry (empty when none were made)."""
    text = project.meta.get(CONCENTRATION_RESPONSES_KEY)
    return json.loads(text) if text else {}


def shipped_formulations_csv() -> Path:
    """The formulation table CryoDesk ships (``resources/data/cpa_formulations``; MIT, values cited per row)."""
    from cryodesk.engine.seed import load_manifest

    return load_manifest().file("cpa_formulations")
