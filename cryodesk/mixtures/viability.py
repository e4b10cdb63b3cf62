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

For honest small-data comparison there are also protocol-level features (:func:`protocol_features`:
penetrating / non-penetrating mol/L, DMSO, sugars, proteins, polymers), per-paper metadata flags read from
the raw table (:func:`doi_metadata`: cell type, cooling method), strongly regularised regressors, and
:func:`grouped_cv`, which keeps every DOI group on one side of each split and runs every fold-dependent
step (scaling, nested ridge alpha, graph edges) inside the training fold.
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


# ------------------------------------------------------------------------------ protocol features
#
# Why these: post-thaw viability in this table depends first on the protocol (how much permeating CPA,
# whether DMSO is present, whether there is an extracellular sugar or macromolecule), not on fine
# molecular descriptors of 20-odd distinct ingredients. With ~200 rows, a dozen interpretable columns
# and strongly regularised models are what the data can support.

#: Ingredients whose presence is a column of their own (the common CPAs and sugars of the table).
FLAGGED_STEMS = ("dmso", "ethylene_glycol", "glycerol", "propylene_glycol", "sucrose", "trehalose")


def protocol_features(
    formulations: Sequence[Formulation], roles: Mapping[str, str] | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Protocol-level columns of each formulation (no labels used, so they can be built once for all rows).

    Columns: mol/L of penetrating and non-penetrating small molecules and their sum (and its log), the
    penetrating share of that sum, DMSO mol/L, % of polymers and of proteins (serum, albumin), a
    DMSO-free flag, presence flags of :data:`FLAGGED_STEMS`, any polymer, any protein, and the number of
    ingredients. Units that do not fit a role (a sugar given in %) go to ``other_amount``.
    """
    roles = roles or {}
    names = (
        "penetrating_M",
        "non_penetrating_M",
        "total_small_M",
        "log1p_total_small_M",
        "penetrating_share",
        "dmso_M",
        "polymer_pct",
        "protein_pct",
        "other_amount",
        "dmso_free",
        *(f"has_{s}" for s in FLAGGED_STEMS),
        "has_polymer",
        "has_protein",
        "n_ingredients",
    )
    rows = []
    for f in formulations:
        tot = dict.fromkeys(("pen", "non", "poly", "prot", "other"), 0.0)
        for stem, amount, unit in f.amounts:
            role = roles.get(stem) or ingredient_for(stem).role
            slot = {P: "pen", N: "non", POLY: "poly", PROTEIN: "prot"}.get(role, "other")
            fits_unit = (slot in ("pen", "non")) == (unit == "M")
            tot[slot if fits_unit else "other"] += amount
        small = tot["pen"] + tot["non"]
        stems = set(f.stems)
        dmso = sum(a for s, a, u in f.amounts if s == "dmso" and u == "M")
        rows.append(
            [
                tot["pen"],
                tot["non"],
                small,
                math.log1p(small),
                tot["pen"] / small if small > 0 else 0.0,
                dmso,
                tot["poly"],
                tot["prot"],
                tot["other"],
                float("dmso" not in stems),
                *(float(s in stems) for s in FLAGGED_STEMS),
                float(tot["poly"] > 0),
                float(tot["prot"] > 0),
                float(len(f.amounts)),
            ]
        )
    return np.asarray(rows, dtype=np.float64).reshape(len(formulations), len(names)), names


# Keyword rules for per-paper protocol metadata read from the raw table's free text (cell type, cooling).
# They describe the experiment, not its outcome, so using them as inputs is not label leakage; they are
# per paper (DOI), so under DOI-grouped validation they only help if their effect carries across papers.
_META_RULES: dict[str, re.Pattern[str]] = {
    "cell_msc": re.compile(r"\bmscs?\b|mesenchymal|stromal"),
    "cell_blood": re.compile(r"t[ -]cells?|lymphocyte|pbmc|cd34|cord blood|ha?ematopoietic|platelet|\bnk\b"),
    "cooling_controlled_rate": re.compile(r"°\s*c\s*/\s*min|◦\s*c\s*/\s*min|c/min|controlled[- ]rate|ramp"),
    "cooling_uncontrolled": re.compile(r"uncontrolled|directly|mr\.? ?frosty|coolcell|isopropanol"),
    "vitrification": re.compile(r"vitrif"),
}
META_NAMES = (*_META_RULES, "meta_unknown")


def doi_metadata(raw_records: Iterable[Mapping[str, str | None]]) -> dict[str, dict[str, float]]:
    """Per-DOI protocol flags (0/1) from the raw formulation table's text columns (see ``_META_RULES``).

    A DOI's flag is 1 when any of its raw rows matches. Cooling flags read only the cooling-rate and
    method columns; cell flags read every text column.
    """
    text_by_doi: dict[str, list[str]] = {}
    cool_by_doi: dict[str, list[str]] = {}
    for rec in raw_records:
        source = rec.get("Source (DOI link)") or ""
        dois = [d for d in (_normalise_doi(x) for x in re.split(r"[;,\s]+(?=\S)", source)) if "/" in d]
        text = " ".join(str(v) for k, v in rec.items() if k and v).lower()
        cool = " ".join(str(rec.get(k) or "") for k in ("Cooling rate", "Comments about method")).lower()
        for d in dois:
            text_by_doi.setdefault(d, []).append(text)
            cool_by_doi.setdefault(d, []).append(cool)
    out = {}
    for d, texts in text_by_doi.items():
        joined, cool = " ".join(texts), " ".join(cool_by_doi[d])
        out[d] = {
            name: float(bool(rule.search(cool if name.startswith(("cooling", "vitrif")) else joined)))
            for name, rule in _META_RULES.items()
        }
    return out


def metadata_features(
    formulations: Sequence[Formulation], meta: Mapping[str, Mapping[str, float]]
) -> np.ndarray:
    """Per-row metadata: the mean of the flags of the row's DOIs found in ``meta``; ``meta_unknown`` = 1 if none."""
    rows = []
    for f in formulations:
        known = [meta[d] for d in f.dois if d in meta]
        if known:
            rows.append([float(np.mean([m[n] for m in known])) for n in _META_RULES] + [0.0])
        else:
            rows.append([0.0] * len(_META_RULES) + [1.0])
    return np.asarray(rows, dtype=np.float64).reshape(len(formulations), len(META_NAMES))


# ------------------------------------------------------------------------ grouped cross-validation

#: Ridge penalties tried by the nested (inner, grouped) selection; features are standardised first.
RIDGE_ALPHAS = (0.1, 1.0, 10.0, 100.0, 1000.0)
#: ``gbm_l1`` is the boosting model with absolute-error loss: the score is MAE and viability is skewed
#: (median above mean), so a squared-error model is pulled towards the mean, which MAE does not reward.
REGRESSORS = ("ridge", "rf", "gbm", "gbm_l1")

FoldFeatures = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
Chosen = dict[str, float | str]  # what a fold's nested selection picked (ridge alpha, candidate name)


def _regressor(kind: str, seed: int, alpha: float = 1.0) -> object:
    """Small-data regressors with fixed, strong regularisation (only ridge's alpha is selected, nested)."""
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "ridge":
        return make_pipeline(StandardScaler(), Ridge(alpha=alpha))  # scaler fitted inside each training fold
    if kind == "rf":
        return RandomForestRegressor(
            n_estimators=150, min_samples_leaf=5, max_features=0.5, random_state=seed, n_jobs=1
        )
    if kind in ("gbm", "gbm_l1"):
        return HistGradientBoostingRegressor(
            loss="absolute_error" if kind == "gbm_l1" else "squared_error",
            max_depth=2, learning_rate=0.05, max_iter=150, min_samples_leaf=10, l2_regularization=1.0,
            random_state=seed,
        )  # fmt: skip
    raise ValueError(f"unknown regressor {kind!r}; expected one of {REGRESSORS}")


def _select_ridge_alpha(X: np.ndarray, y: np.ndarray, groups: Sequence[str], seed: int) -> float:
    """Alpha with the lowest inner grouped-CV MAE, using the training fold only (nested CV)."""
    from cryodesk.ml import group_kfold

    n_inner = min(3, len(set(groups)))
    if n_inner < 2:
        return 10.0
    folds = group_kfold(groups, n_inner, seed=seed)
    best, best_mae = RIDGE_ALPHAS[0], math.inf
    for alpha in RIDGE_ALPHAS:
        errs = []
        for fold in folds:
            model = _regressor("ridge", seed, alpha)
            model.fit(X[fold.train], y[fold.train])  # type: ignore[attr-defined]
            errs.append(np.abs(model.predict(X[fold.test]) - y[fold.test]))  # type: ignore[attr-defined]
        mae = float(np.mean(np.concatenate(errs)))
        if mae < best_mae:
            best, best_mae = alpha, mae
    return best


def fit_predict(
    kind: str,
    X_train: np.ndarray,
    y_train: np.ndarray,
    groups_train: Sequence[str],
    X_test: np.ndarray,
    seed: int,
) -> tuple[np.ndarray, Chosen]:
    """Fit one regressor on a training fold and predict the test fold (clipped to 0-100 %).

    NaN features (graph terms with no edge) are set to 0 for ridge and the forest; the gradient-boosting
    model handles NaN itself. Returns the predictions and what was selected (ridge alpha).
    """
    chosen: Chosen = {}
    if kind in ("ridge", "rf"):
        X_train, X_test = np.nan_to_num(X_train, nan=0.0), np.nan_to_num(X_test, nan=0.0)
    if kind == "ridge":
        chosen["alpha"] = _select_ridge_alpha(X_train, y_train, groups_train, seed)
    model = _regressor(kind, seed, float(chosen.get("alpha", 1.0)))
    model.fit(X_train, y_train)  # type: ignore[attr-defined]
    return np.clip(model.predict(X_test), 0.0, 100.0), chosen  # type: ignore[attr-defined]


@dataclass(frozen=True)
class GroupedCvRun:
    """Out-of-fold predictions of one model over one seeded grouped split.

    Attributes:
        predictions: one out-of-fold prediction per row.
        mae: mean absolute error (viability % points).
        fold_test_sizes: rows per test fold.
        chosen: per fold, what nested selection picked (ridge alpha).
    """

    predictions: np.ndarray
    mae: float
    fold_test_sizes: tuple[int, ...]
    chosen: tuple[Chosen, ...]


def grouped_cv(
    y: np.ndarray,
    groups: Sequence[str],
    predictor: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, Chosen]],
    *,
    n_splits: int = 5,
    seed: int = 0,
) -> GroupedCvRun:
    """Out-of-fold predictions with folds grouped by ``groups`` (no group on both sides of a split).

    ``predictor(train_idx, test_idx)`` must fit on the training rows only and return test predictions;
    every fold-dependent step (scaling, graph edges, tuning) belongs inside it.

    Raises:
        ValueError: a group would sit on both sides of a split (guards the grouping contract).
    """
    from cryodesk.ml import group_kfold

    g = np.asarray([str(x) for x in groups], dtype=object)
    preds = np.full(len(y), np.nan)
    sizes, chosen = [], []
    for fold in group_kfold(list(g), n_splits, seed=seed):
        if set(g[fold.train]) & set(g[fold.test]):
            raise ValueError("a group sits on both sides of a split")
        p, c = predictor(np.asarray(fold.train), np.asarray(fold.test))
        preds[fold.test] = p
        sizes.append(len(fold.test))
        chosen.append(c)
    return GroupedCvRun(preds, float(np.mean(np.abs(preds - y))), tuple(sizes), tuple(chosen))


def baseline_predictor(
    y: np.ndarray, statistic: str
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, dict]]:
    """Predict the training fold's mean or median for every test row (the trivial baselines)."""
    func = {"mean": np.mean, "median": np.median}[statistic]

    def predict(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, Chosen]:
        return np.full(len(test), float(func(y[train]))), {}

    return predict


def model_predictor(
    kind: str, X: np.ndarray | FoldFeatures, y: np.ndarray, groups: Sequence[str], seed: int
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, Chosen]]:
    """A :func:`grouped_cv` predictor for regressor ``kind`` on a fixed matrix or fold-built features."""
    g = np.asarray([str(x) for x in groups], dtype=object)

    def predict(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, Chosen]:
        X_tr, X_te = X(train, test) if callable(X) else (X[train], X[test])
        return fit_predict(kind, X_tr, y[train], list(g[train]), X_te, seed)

    return predict


def graph_term_features(
    base: np.ndarray,
    formulations: Sequence[Formulation],
    groups: Sequence[str],
    resolved: Resolved,
    descriptors: Mapping[str, np.ndarray],
) -> FoldFeatures:
    """Fold builder: ``base`` columns plus the three graph pair terms, fitted without the test fold.

    Training rows get cross-fitted terms (edges from the other inner DOI-grouped folds), test rows get
    terms from edges fitted on the whole training fold, so no row's label reaches its own features.
    """
    feats = ViabilityFeatures(resolved, descriptors, use_graph=True)
    cache: dict[tuple[bytes, bytes], tuple[np.ndarray, np.ndarray]] = {}  # same split, several regressors

    def build(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = (np.asarray(train).tobytes(), np.asarray(test).tobytes())
        if key not in cache:
            tr = [formulations[i] for i in train]
            te = [formulations[i] for i in test]
            g_tr = cross_fitted_graph_features(feats, tr, [groups[i] for i in train])[:, -3:]
            g_te = feats.transform(te, fit_viability_edges(tr, resolved))[:, -3:]
            cache[key] = (np.hstack([base[train], g_tr]), np.hstack([base[test], g_te]))
        return cache[key]

    return build


def selecting_predictor(
    candidates: Mapping[str, tuple[str, np.ndarray]],
    y: np.ndarray,
    groups: Sequence[str],
    seed: int,
    inner_splits: int = 3,
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, Chosen]]:
    """Nested model selection as one :func:`grouped_cv` predictor.

    Inside each outer training fold, every candidate (regressor kind, feature matrix) is scored by an inner
    DOI-grouped CV on the training rows only; the best is refitted on the whole training fold and predicts
    the test fold. The outer MAE is then an honest estimate for "pick the best of these candidates",
    which the best-of-many row of a comparison table is not.
    """
    g = np.asarray([str(x) for x in groups], dtype=object)

    def predict(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, Chosen]:
        y_tr, g_tr = y[train], list(g[train])
        n_inner = min(inner_splits, len(set(g_tr)))
        scores = {}
        for name, (kind, X) in candidates.items():
            inner = model_predictor(kind, X[train], y_tr, g_tr, seed)
            scores[name] = grouped_cv(y_tr, g_tr, inner, n_splits=n_inner, seed=seed).mae
        best = min(scores, key=scores.__getitem__)
        kind, X = candidates[best]
        p, chosen = fit_predict(kind, X[train], y_tr, g_tr, X[test], seed)
        return p, {**chosen, "selected": best}

    return predict
