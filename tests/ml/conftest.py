"""Fixtures of the model-layer tests (helpers live in ``tests/ml/helpers.py``)."""

from __future__ import annotations

import pytest

from cryodesk.ml import Dataset
from tests.ml.helpers import make_classification, make_regression


@pytest.fixture
def regression_data() -> Dataset:
    return make_regression()


@pytest.fixture
def classification_data() -> Dataset:
    return make_classification()
