"""The train-a-model dialog: target property or assay, feature sets, members, split and tuning budget.

The dialog only collects a :class:`~cryodesk.engine.training.TrainRequest`; the models view runs it
in a child process (``cryodesk.engine.model_views.train_in_child``) and shows its progress.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cryodesk.engine.training import TrainRequest

MEMBERS = (("rf", "Random forest"), ("lgbm", "LightGBM"), ("mlp", "Neural network (MLP)"))
SPLITS = (("scaffold", "Scaffold (DeepChem, deterministic)"), ("random", "Random (seeded)"))
MAX_BUDGET = 64


class TrainModelDialog(QDialog):
    """Collects what to train. ``targets``: ``(key, task)``; ``feature_sets``: ``(name, description, default)``."""

    def __init__(
        self,
        targets: Sequence[tuple[str, str]],
        feature_sets: Sequence[tuple[str, str, bool]],
        parent: QWidget | None = None,
        preset: TrainRequest | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("TrainModelDialog")
        self.setWindowTitle("Train a model")
        self.target_box = QComboBox(self)
        self.target_box.setObjectName("TargetBox")
        for key, task in targets:
            kind = "assay, classification" if task == "classification" else "property, regression"
            self.target_box.addItem(f"{key}  ({kind})", key)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("registry name (default: the target)")
        self.feature_list = QListWidget(self)
        self.feature_list.setObjectName("FeatureSetList")
        for name, description, default in feature_sets:
            item = QListWidgetItem(f"{name} — {description}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if default else Qt.CheckState.Unchecked)
            self.feature_list.addItem(item)
        self.feature_list.setMaximumHeight(130)
        self.member_boxes: dict[str, QCheckBox] = {}
        members = QHBoxLayout()
        for key, text in MEMBERS:
            box = QCheckBox(text, self)
            box.setChecked(key in ("rf", "lgbm"))
            box.toggled.connect(self._validate)
            self.member_boxes[key] = box
            members.addWidget(box)
        self.split_box = QComboBox(self)
        for key, text in SPLITS:
            self.split_box.addItem(text, key)
        self.budget = QSpinBox(self)
        self.budget.setRange(0, MAX_BUDGET)
        self.budget.setToolTip(
            "Hyperparameter candidates per member (successive halving); 0 keeps the defaults"
        )
        self.folds = QSpinBox(self)
        self.folds.setRange(2, 10)
        self.folds.setValue(5)
        self.promote_box = QCheckBox("Promote the new version when it is done", self)
        self.reason = QLabel(self)
        self.reason.setObjectName("TrainDialogReason")
        self.reason.setStyleSheet("color: #c92a2a")
        form = QFormLayout()
        form.addRow("Target", self.target_box)
        form.addRow("Name", self.name_edit)
        form.addRow("Feature sets", self.feature_list)
        form.addRow("Models", members)
        form.addRow("Held-out split", self.split_box)
        form.addRow("Tuning budget", self.budget)
        form.addRow("CV folds", self.folds)
        form.addRow("", self.promote_box)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Train")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.feature_list.itemChanged.connect(lambda _item: self._validate())
        if preset is not None:
            self.apply(preset)
        self._validate()

    # -- values ----------------------------------------------------------------------------------------
    def feature_sets(self) -> tuple[str, ...]:
        items = (self.feature_list.item(i) for i in range(self.feature_list.count()))
        return tuple(
            it.data(Qt.ItemDataRole.UserRole) for it in items if it.checkState() == Qt.CheckState.Checked
        )

    def members(self) -> tuple[str, ...]:
        return tuple(key for key, box in self.member_boxes.items() if box.isChecked())

    def request(self) -> TrainRequest:
        """The request the dialog describes (valid once :meth:`problem` is None)."""
        name = self.name_edit.text().strip() or None
        return TrainRequest(
            str(self.target_box.currentData()),
            name=name,
            members=self.members(),
            split=self.split_box.currentData(),
            budget=self.budget.value(),
            feature_sets=self.feature_sets(),
            n_folds=self.folds.value(),
            promote=True if self.promote_box.isChecked() else None,
        )

    def apply(self, request: TrainRequest) -> None:
        """Fill the fields from a request (Retrain: the version's recorded settings)."""
        index = self.target_box.findData(request.target)
        if index >= 0:
            self.target_box.setCurrentIndex(index)
        self.name_edit.setText(request.name or "")
        for i in range(self.feature_list.count()):
            item = self.feature_list.item(i)
            wanted = item.data(Qt.ItemDataRole.UserRole) in request.feature_sets
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
        for key, box in self.member_boxes.items():
            box.setChecked(key in request.members)
        split = self.split_box.findData(request.split)
        if split >= 0:
            self.split_box.setCurrentIndex(split)
        self.budget.setValue(int(request.budget))
        self.folds.setValue(int(request.n_folds))

    def problem(self) -> str | None:
        if self.target_box.count() == 0:
            return "This project has no property values or assay results to train on."
        if not self.members():
            return "Choose at least one model."
        if not self.feature_sets():
            return "Choose at least one feature set."
        return None

    def _validate(self) -> None:
        problem = self.problem()
        self.reason.setText(problem or "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)
