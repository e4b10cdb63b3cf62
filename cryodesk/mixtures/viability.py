"""Learned post-thaw viability of cryopreservation formulations.

Input is the parsed numeric formulation table (one column per ingredient: ``<name>_M`` in mol/L or
``<name>_pct`` in %). Ingredient names are mapped to compounds by the caller (the engine's resolver); this
module turns each formulation into permutation-invariant features (:mod:`cryodesk.mixtures.featurize`):

* molarity-weighted descriptors of the resolved small molecules (mean and spread),
* role totals (penetrating and non-penetrating mol/L, polymer and protein %), DMSO mol/L,
* optionally graph terms: pairwise ingredient edges (interaction type ``other``) whose value is the mean
  viability excess of formulations holding both ingredients over an *additive* reference model (ridge
  regression on log(1 + concentration) of each ingredient, main effects only). Edges used for a training
  row are cross-fitted (fitted without that row's DOI group), so they never echo the row's own label.

The old plan's baseline (:func:`old_plan_baseline`) averages per-ingredient scores (the mean viability of
training formulations containing the ingredient), weighted by each ingredient's g/L, plus a constant bonus.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cryodesk.domain import ComponentRole
from cryodesk.mixtures.featurize import COMPONENT_DESCRIPTORS, MixtureFeaturizer
from cryodesk.mixtures.interaction_graph import EdgeSource, InteractionEdge, InteractionGraph, InteractionType

__all__ = [
    "INGREDIENTS",
    "Formulation",
    "Ingredient",
    "ViabilityFeatures",
    "ViabilityModel",
    "doi_groups",
    "fit_viability_edges",
    "old_plan_baseline",
    "parse_formulations",
    "train_viability_model",
]

PROTEIN = "protein"  # serum/albumin/sericin: no structure, counted apart from synthetic polymers


@dataclass(frozen=True)
class Ingredient:
    """An ingredient column of the formulation table: how to look it up and what it does."""

    stem: str  # column stem, e.g. "ethylene_glycol"
    query: str  # the name given to the resolver
    role: str  # ComponentRole value or "protein"


def _ing(stem: str, query: str, role: str) -> Ingredient:
    return Ingredient(stem, query, role)


P, N, POLY = ComponentRole.PENETRATING.value, ComponentRole.NON_PENETRATING.value, ComponentRole.POLYMER.value
# Roles by cryobiology convention (membrane-permeating CPAs vs. extracellular solutes and macromolecules).
INGREDIENTS: dict[str, Ingredient] = {i.stem: i for i in (
    _ing("acetamide", "acetamide", P), _ing("dmso", "dimethyl sulfoxide", P),
    _ing("ethylene_glycol", "ethylene glycol", P), _ing("glycerol", "glycerol", P),
    _ing("propylene_glycol", "propylene glycol", P),
    _ing("betaine", "betaine", N), _ing("creatine", "creatine", N), _ing("ectoin", "ectoine", N),
    _ing("glucose", "glucose", N), _ing("proline", "L-proline", N), _ing("raffinose", "raffinose", N),
    _ing("sucrose", "sucrose", N), _ing("taurine", "taurine", N), _ing("trehalose", "trehalose", N),
    _ing("pentaisomaltose", "pentaisomaltose", N),
    _ing("cooh_pll", "carboxylated poly-L-lysine", POLY), _ing("dextran", "dextran", POLY),
    _ing("ficoll", "Ficoll", POLY), _ing("hes", "hydroxyethyl starch", POLY),
    _ing("hyaluronic_acid", "hyaluronic acid", POLY), _ing("methylcellulose", "methylcellulose", POLY),
    _ing("pvp", "polyvinylpyrrolidone", POLY),
    _ing("fbs", "fetal bovine serum", PROTEIN), _ing("hsa", "human serum albumin", PROTEIN),
    _ing("human_serum", "human serum", PROTEIN), _ing("sericin", "sericin", PROTEIN),
)}  # fmt: skip
_PEG = re.compile(r"^peg_(\d+k?)$")


def ingredient_for(stem: str) -> Ingredient:
    """The catalogue entry of a column stem (PEGs of any weight are polymers; unknown stems are ``other``)."""
    if stem in INGREDIENTS:
        return INGREDIENTS[stem]
    m = _PEG.match(stem)
    if m:
        return Ingredient(stem, f"polyethylene glycol {m.group(1).upper()}", POLY)
    return Ingredient(stem, stem.replace("_", " "), ComponentRole.OTHER.value)


@dataclass(frozen=True)
class Formulation:
    """One parsed formulation: ingredient stem -> (amount, unit ``"M"`` or ``"%"``), viability %, DOIs."""

    formulation_id: str
    viability: float
    amounts: tuple[tuple[str, float, str], ...]
    dois: tuple[str, ...]
    row: int

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(s for s, _a, _u in self.amounts)


def _normalise_doi(text: str) -> str:
    t = text.strip().lower()
    t = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", t)
    return t.strip().rstrip(".")


def parse_formulations(records: Iterable[Mapping[str, str]]) -> tuple[list[Formulation], list[str]]:
    """Formulations from the parsed table's rows; problems name the row, the field and the reason."""
    out, problems = [], []
    for i, rec in enumerate(records, start=1):
        try:
            viability = float(rec["viability_percent"])
        except (KeyError, ValueError):
            problems.append(
                f"row {i}, field 'viability_percent': not a number ({rec.get('viability_percent')!r})"
            )
            continue
        if not 0.0 <= viability <= 100.0:
            problems.append(f"row {i}, field 'viability_percent': {viability} is outside 0-100 %")
            continue
        amounts, bad = [], None
        for col, text in rec.items():
            if col is None or not (col.endswith("_M") or col.endswith("_pct")):
                continue
            try:
                value = float(text or 0.0)
            except ValueError:
                bad = f"row {i}, field {col!r}: not a number ({text!r})"
                break
            if value < 0 or not math.isfinite(value):
                bad = f"row {i}, field {col!r}: negative or non-finite amount {value}"
                break
            if value > 0:
                stem, unit = (col[:-2], "M") if col.endswith("_M") else (col[:-4], "%")
                amounts.append((stem, value, unit))
        if bad:
            problems.append(bad)
            continue
        dois = tuple(
            d
            for d in (_normalise_doi(x) for x in re.split(r"[;,\s]+(?=\S)", rec.get("source_doi") or ""))
            if "/" in d
        )
        out.append(Formulation(str(rec.get("formulation_id", i)), viability, tuple(sorted(amounts)), dois, i))
    return out, problems


def doi_groups(formulations: Sequence[Formulation]) -> list[str]:
    """A group label per formulation: rows that share any DOI (directly or through others) are one group.

    Rows without a DOI are their own group each.
    """
    parent = list(range(len(formulations)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    for i, f in enumerate(formulations):
        for doi in f.dois:
            j = first_with.setdefault(doi, i)
            parent[find(i)] = find(j)
    return [f"doi-group-{find(i)}" for i in range(len(formulations))]


Resolved = Mapping[str, tuple[str, str] | None]  # stem -> (inchikey, smiles) or None


def node_key(stem: str, resolved: Resolved) -> str:
    hit = resolved.get(stem)
    return hit[0] if hit else f"ingredient:{stem}"


def _log_matrix(formulations: Sequence[Formulation], stems: Sequence[str]) -> np.ndarray:
    index = {s: j for j, s in enumerate(stems)}
    X = np.zeros((len(formulations), len(stems)))
    for i, f in enumerate(formulations):
        for stem, amount, _unit in f.amounts:
            if stem in index:
                X[i, index[stem]] = math.log1p(amount)
    return X


def fit_viability_edges(
    train: Sequence[Formulation], resolved: Resolved, *, min_rows: int = 3, alpha: float = 1.0
) -> InteractionGraph:
    """Pairwise viability-excess edges over an additive (main-effects ridge) reference, from ``train``."""
    from scipy import stats
    from sklearn.linear_model import Ridge

    stems = sorted({s for f in train for s in f.stems})
    y = np.array([f.viability for f in train])
    X = _log_matrix(train, stems)
    resid = y - Ridge(alpha=alpha).fit(X, y).predict(X)
    by_pair: dict[tuple[str, str], list[float]] = {}
    for f, r in zip(train, resid, strict=True):
        for a, b in itertools.combinations(sorted(f.stems), 2):
            by_pair.setdefault((a, b), []).append(float(r))
    graph = InteractionGraph(validate_keys=False)
    for (a, b), values in sorted(by_pair.items()):
        ka, kb = node_key(a, resolved), node_key(b, resolved)
        if len(values) < min_rows or ka == kb:
            continue
        mean = float(np.mean(values))
        sd = float(np.std(values, ddof=1))
        p = (
            0.0
            if sd == 0
            else float(2 * stats.t.sf(abs(mean) / (sd / math.sqrt(len(values))), len(values) - 1))
        )
        graph.add_interaction(InteractionEdge(
            ka, kb, InteractionType.OTHER, abs(mean), int(np.sign(mean)), EdgeSource.FITTED,
            min(1.0, max(0.0, 1.0 - p)), f"{len(values)} training formulations", value=mean,
            units="viability % points", reference_model="additive: ridge on log(1 + concentration), main effects",
            note=f"{a} + {b}",
        ))  # fmt: skip
    return graph


@dataclass
class ViabilityFeatures:
    """Builds the feature matrix of formulations (see the module docstring)."""

    resolved: Resolved
    descriptors: Mapping[str, np.ndarray]
    use_graph: bool = True
    extra_roles: dict[str, str] = field(default_factory=dict)  # roles of stems outside the catalogue
    _molar: MixtureFeaturizer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        table = {node_key(s, self.resolved): v for s, v in self._stem_descriptors().items()}
        self._molar = MixtureFeaturizer(table, COMPONENT_DESCRIPTORS)

    def add_compounds(
        self, resolved: Resolved, descriptors: Mapping[str, np.ndarray], roles: Mapping[str, str]
    ) -> None:
        """Make compounds unseen in training known (a user's formulation); the model itself is unchanged."""
        self.resolved = {**self.resolved, **resolved}
        self.descriptors = {**self.descriptors, **descriptors}
        self.extra_roles.update(roles)
        self.__post_init__()

    def role_of(self, stem: str) -> str:
        return self.extra_roles.get(stem) or ingredient_for(stem).role

    def _stem_descriptors(self) -> dict[str, np.ndarray]:
        out = {}
        for stem, hit in self.resolved.items():
            if hit and hit[0] in self.descriptors:
                out[stem] = np.asarray(self.descriptors[hit[0]], float)
        return out

    def names(self) -> tuple[str, ...]:
        base = (
            *self._molar.feature_names,
            "penetrating_M",
            "non_penetrating_M",
            "polymer_pct",
            "protein_pct",
            "other_amount",
            "dmso_M",
            "n_ingredients",
            "log_total_M",
        )
        return (*base, "pair:node_mean", "pair:node_edges", "pair:edge") if self.use_graph else base

    def transform(self, formulations: Sequence[Formulation], graph: InteractionGraph | None) -> np.ndarray:
        """Feature rows; ``graph`` gives the pair terms (ignored when ``use_graph`` is off)."""
        rows = []
        if self.use_graph and graph is None:
            graph = InteractionGraph(validate_keys=False)  # graph terms on, nothing known yet: NaN terms
        pair_f = (
            MixtureFeaturizer({}, (), graph, InteractionType.OTHER, own_edge=True) if self.use_graph else None
        )
        for f in formulations:
            molar = [(node_key(s, self.resolved), a) for s, a, u in f.amounts if u == "M"]
            totals = dict.fromkeys(("pen", "non", "poly", "prot", "other"), 0.0)
            for stem, amount, unit in f.amounts:
                role = self.role_of(stem)
                slot = {P: "pen", N: "non", POLY: "poly", PROTEIN: "prot"}.get(role, "other")
                # small molecules are summed in mol/L and macromolecules in %; a unit that does not fit
                # the role (a sugar given in %) goes to "other" rather than mixing units in one total
                fits_unit = (slot in ("pen", "non")) == (unit == "M")
                totals[slot if fits_unit else "other"] += amount
            dmso = sum(a for s, a, u in f.amounts if s == "dmso" and u == "M")
            total_m = sum(a for _s, a, u in f.amounts if u == "M")
            row = [
                *self._molar.row(molar),
                totals["pen"],
                totals["non"],
                totals["poly"],
                totals["prot"],
                totals["other"],
                dmso,
                float(len(f.amounts)),
                math.log1p(total_m),
            ]
            if pair_f is not None:
                present = [(node_key(s, self.resolved), 1.0) for s in f.stems]
                row += list(pair_f.row(present)[-3:]) if present else [np.nan, 0.0, np.nan]
            rows.append(row)
        return np.asarray(rows, dtype=np.float64).reshape(len(formulations), len(self.names()))


def cross_fitted_graph_features(
    feats: ViabilityFeatures, train: Sequence[Formulation], groups: Sequence[str], n_splits: int = 3
) -> np.ndarray:
    """Training-row features whose graph terms come from edges fitted on the other inner (DOI-grouped) folds."""
    from cryodesk.ml import group_kfold

    X = feats.transform(train, None if not feats.use_graph else InteractionGraph(validate_keys=False))
    if not feats.use_graph or len(set(groups)) < n_splits:
        return X
    for fold in group_kfold(groups, n_splits, seed=1):
        graph = fit_viability_edges([train[i] for i in fold.train], feats.resolved)
        X[fold.test] = feats.transform([train[i] for i in fold.test], graph)
    return X


@dataclass
class ViabilityModel:
    """Trained viability model: features, the graph fitted on all training rows, the model-layer ensemble."""

    features: ViabilityFeatures
    graph: InteractionGraph | None
    model: object  # cryodesk.ml.TrainedModel

    def predict(self, formulations: Sequence[Formulation]) -> object:
        """The model layer's :class:`~cryodesk.ml.Predictions` (value in viability %, conformal interval)."""
        return self.model.predict(self.features.transform(formulations, self.graph))  # type: ignore[attr-defined]


def train_viability_model(
    train: Sequence[Formulation],
    groups: Sequence[str],
    resolved: Resolved,
    descriptors: Mapping[str, np.ndarray],
    *,
    use_graph: bool = True,
    config: object | None = None,
) -> ViabilityModel:
    """Fit the viability model on ``train`` (DOI groups for the cross-fitted graph terms)."""
    from cryodesk.ml import Dataset, TrainConfig, train_model

    feats = ViabilityFeatures(resolved, descriptors, use_graph)
    X = cross_fitted_graph_features(feats, train, groups)
    y = np.array([f.viability for f in train])
    ds = Dataset(X, y, feats.names(), "regression", np.array([f.formulation_id for f in train], dtype=object),
                 task_names=("viability_percent",), groups=np.asarray(groups, dtype=object),
                 feature_set="mixture-viability", feature_version="1" + ("+graph" if use_graph else ""))  # fmt: skip
    config = config or TrainConfig(members=("rf", "lgbm"), n_folds=3, domain="none")
    graph = fit_viability_edges(train, resolved) if use_graph else None
    return ViabilityModel(feats, graph, train_model(ds, config))  # type: ignore[arg-type]


def _grams_per_litre(
    stem: str, amount: float, unit: str, resolved: Resolved, molar_mass: Mapping[str, float]
) -> float:
    if unit == "%":
        return amount * 10.0  # % w/v (or v/v read as w/v) -> g/L
    hit = resolved.get(stem)
    mw = molar_mass.get(hit[0]) if hit else None
    return amount * (mw if mw else 100.0)


def old_plan_baseline(
    train: Sequence[Formulation], resolved: Resolved, molar_mass: Mapping[str, float]
) -> Callable[[Sequence[Formulation]], np.ndarray]:
    """The old plan: g/L-weighted average of per-ingredient scores plus one constant synergy bonus.

    An ingredient's score is the mean viability of the training formulations that contain it; a
    formulation with no scored ingredient gets the training mean.
    """
    y = np.array([f.viability for f in train])
    scores: dict[str, list[float]] = {}
    for f in train:
        for stem in f.stems:
            scores.setdefault(stem, []).append(f.viability)
    score = {s: float(np.mean(v)) for s, v in scores.items()}
    mean = float(np.mean(y))

    def average(rows: Sequence[Formulation]) -> np.ndarray:
        out = []
        for f in rows:
            pairs = [
                (score[s], _grams_per_litre(s, a, u, resolved, molar_mass))
                for s, a, u in f.amounts
                if s in score
            ]
            weight = sum(w for _v, w in pairs)
            out.append(sum(v * w for v, w in pairs) / weight if weight > 0 else math.nan)
        return np.array(out)

    fitted = average(train)
    ok = ~np.isnan(fitted)
    bonus = float(np.mean(y[ok] - fitted[ok])) if ok.any() else 0.0

    def predict(rows: Sequence[Formulation]) -> np.ndarray:
        values = average(rows)
        return np.where(np.isnan(values), mean, np.clip(values + bonus, 0.0, 100.0))

    return predict
