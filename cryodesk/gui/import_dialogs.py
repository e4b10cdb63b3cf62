"""Import dialogs for the online services and data-set files: PubChem, ChEMBL, PubMed, ToxCast/Tox21,
DrugBank and COD.

Each dialog only collects what the user asks for and builds the engine's own params object
(``PubChemImportParams``, ``ChemblImportParams`` ...), whose validation is the one the CLI gets: an
invalid entry is shown in the dialog, which stays open. On Run the window starts the engine job in
its job slot, in a child process like the file import (:mod:`cryodesk.gui.import_jobs`), with the
activity bar's progress and Cancel, and the same summary dialog at the end. The base URL each
service is reached at comes from the settings (or ``CRYODESK_<SERVICE>_BASE``) and is shown in the
dialog; an online import first checks that the service's host answers, so without a network it fails
at once with a message saying so and what still works.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cryodesk.domain import CryoDeskError
from cryodesk.gui.import_jobs import (
    SERVICE_NAMES,
    ImportRequest,
    check_reachable,
    run_import,
    service_base_url,
)
from cryodesk.gui.job_process import run_in_process
from cryodesk.gui.worker import TaskSlot

if TYPE_CHECKING:
    from cryodesk.gui.main_window import MainWindow

TEXT_HEIGHT = 96
_LIST_SPLIT = re.compile(r"[\s,;]+")


def split_list(text: str) -> list[str]:
    """Identifiers typed or pasted one per line, or separated by commas, semicolons or spaces."""
    return [t for t in _LIST_SPLIT.split(text.strip()) if t]


def split_lines(text: str) -> list[str]:
    """Names or SMILES, one per line (or separated by semicolons): names may hold commas and spaces."""
    return [t.strip() for t in re.split(r"[\n;]+", text) if t.strip()]


class ImportDialog(QDialog):
    """The shared frame: a form, the service's address, an error line and Run / Cancel.

    Subclasses fill ``self.form`` and implement :meth:`build_request`; Run keeps the dialog open and
    shows the reason when the engine refuses the parameters.
    """

    kind = ""
    service: str | None = None
    title = ""
    params_module = ""  # the engine module defining the params (imported ahead, in the background)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{type(self).__name__}")
        self.setWindowTitle(self.title)
        self.setMinimumWidth(620)
        self.request: ImportRequest | None = None
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.address = QLabel(self)
        self.address.setObjectName("ServiceAddress")
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address.setWordWrap(True)
        self.address.setText("Reads a local file: no network needed.")
        # The service's address and the engine module of the params load on a pool thread: the first
        # import of the HTTP stack takes about a second, which the window must not wait for.
        self.address_slot = TaskSlot("import dialog", parent=self)
        self.address_slot.finished.connect(self._show_address)
        service, module = self.service, self.params_module
        if service:
            self.address.setText(
                f"{SERVICE_NAMES.get(service, service)}: reading its address from the settings…"
            )
        self.address_slot.start(lambda _p, _c: _prepare(service, module), "import dialog")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("ImportError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c92a2a;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.run_button = self.buttons.addButton("Run import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setObjectName("RunImport")
        self.run_button.setDefault(True)
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.address)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def _show_address(self, base_url: str | None) -> None:
        if self.service:
            self.address.setText(f"{SERVICE_NAMES.get(self.service, self.service)} at {base_url}")
            self.address.setToolTip(
                "From the settings (service base URLs); CRYODESK_<SERVICE>_BASE overrides them"
            )
            # The text may need more room than the dialog was opened with.
            self.resize(self.width(), max(self.height(), self.sizeHint().height()))

    def build_request(self) -> ImportRequest:
        raise NotImplementedError

    def try_accept(self) -> None:
        """Build the params; on success close with ``self.request`` set, else show why."""
        try:
            self.request = self.build_request()
        except (CryoDeskError, ValueError) as exc:
            self.request = None
            self.error_label.setText(str(exc))
            return
        self.error_label.clear()
        self.accept()

    def _request(self, params: Any, title: str) -> ImportRequest:
        return ImportRequest(self.kind, params, self.service, title)

    # -- small form helpers ---------------------------------------------------------------------
    def _text(self, name: str, placeholder: str) -> QPlainTextEdit:
        edit = QPlainTextEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setFixedHeight(TEXT_HEIGHT)
        edit.setTabChangesFocus(True)
        return edit

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _spin(self, name: str, low: int, high: int, value: int, suffix: str = "") -> QSpinBox:
        spin = QSpinBox(self)
        spin.setObjectName(name)
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setSuffix(suffix)
        return spin

    def _file_row(self, name: str, caption: str, filters: str) -> tuple[QWidget, QLineEdit]:
        row = QWidget(self)
        edit = QLineEdit(row)
        edit.setObjectName(name)
        edit.setPlaceholderText("path of the file")
        browse = QPushButton("Browse…", row)

        def choose() -> None:
            path, _ = QFileDialog.getOpenFileName(
                self, caption, str(Path(edit.text()).parent) if edit.text() else "", filters
            )
            if path:
                edit.setText(path)

        browse.clicked.connect(choose)
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(edit, 1)
        box.addWidget(browse)
        return row, edit


# Literal module names, so the bundle check can see that each one is a cryodesk module.
_PARAMS_IMPORTS = {
    "cryodesk.engine.online_import": lambda: importlib.import_module("cryodesk.engine.online_import"),
    "cryodesk.engine.literature_import": lambda: importlib.import_module("cryodesk.engine.literature_import"),
    "cryodesk.engine.toxcast_import": lambda: importlib.import_module("cryodesk.engine.toxcast_import"),
    "cryodesk.engine.drugbank_import": lambda: importlib.import_module("cryodesk.engine.drugbank_import"),
    "cryodesk.engine.cod_import": lambda: importlib.import_module("cryodesk.engine.cod_import"),
}


def _prepare(service: str | None, module: str) -> str | None:
    """On a pool thread: import the params' engine module; the service's base URL (None for files)."""
    if module:
        _PARAMS_IMPORTS[module]()
    if not service:
        return None
    try:
        return service_base_url(service)
    except (CryoDeskError, ValueError) as exc:
        return f"(unknown: {exc})"


def _existing_file(edit: QLineEdit, what: str) -> str:
    path = edit.text().strip()
    if not path:
        raise ValueError(f"choose the {what} file")
    if not Path(path).is_file():
        raise ValueError(f"{what} file not found: {path}")
    return path


# -- the dialogs -----------------------------------------------------------------------------------
class PubChemImportDialog(ImportDialog):
    kind, service, title = "pubchem", "pubchem", "Import from PubChem"
    params_module = "cryodesk.engine.online_import"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intro.setText(
            "Compounds by name, by CID, or all compounds similar to a structure. Each is "
            "standardised like a file import and stored with its PubChem provenance."
        )
        self.names = self._text(
            "PubChemNames", "glycerol\ndimethyl sulfoxide\n1,2-propanediol   (one name per line)"
        )
        self.cids = self._line("PubChemCids", "753, 679, 1030   (CIDs, separated by commas or spaces)")
        self.similar = self._line("PubChemSimilar", "SMILES, e.g. OCC(O)CO")
        self.threshold = self._spin("PubChemThreshold", 50, 100, 90, " %")
        self.max_records = self._spin("PubChemMaxRecords", 1, 10_000, 100)
        self.experimental = QCheckBox("Experimental properties (mp, bp, density, viscosity, LD50)", self)
        self.experimental.setToolTip(
            "PUG-View melting and boiling point, density, viscosity, solubility and "
            "toxicity data; about six more requests per compound"
        )
        self.literature = QCheckBox("Literature and bioactivity (references, toxicity, bioassays)", self)
        self.literature.setToolTip(
            "PUG-View literature references, toxicity excerpts and values, bioassay and "
            "PubMed pointers, associated diseases; four more requests per compound"
        )
        similar_row = QWidget(self)
        box = QHBoxLayout(similar_row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.similar, 1)
        box.addWidget(QLabel("at least", similar_row))
        box.addWidget(self.threshold)
        box.addWidget(QLabel("max", similar_row))
        box.addWidget(self.max_records)
        self.form.addRow("Names", self.names)
        self.form.addRow("CIDs", self.cids)
        self.form.addRow("Similar to", similar_row)
        self.form.addRow("", self.experimental)
        self.form.addRow("", self.literature)

    def build_request(self) -> ImportRequest:
        from cryodesk.engine.online_import import PubChemImportParams

        params = PubChemImportParams(
            names=tuple(split_lines(self.names.toPlainText())),
            cids=tuple(split_list(self.cids.text())),
            similar_to=self.similar.text().strip() or None,
            threshold=self.threshold.value(),
            max_records=self.max_records.value(),
            experimental=self.experimental.isChecked(),
            literature=self.literature.isChecked(),
        )
        count = len(params.names) + len(params.cids) + (1 if params.similar_to else 0)
        return self._request(params, f"PubChem import ({count} {'query' if count == 1 else 'queries'})")


class ChemblImportDialog(ImportDialog):
    kind, service, title = "chembl", "chembl", "Import from ChEMBL"
    params_module = "cryodesk.engine.online_import"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intro.setText("Molecules by ChEMBL ID, or every ChEMBL molecule with a given structure.")
        self.ids = self._line("ChemblIds", "CHEMBL25, CHEMBL1082")
        self.smiles = self._text("ChemblSmiles", "one SMILES per line")
        self.activities = QCheckBox("Also cytotoxicity / acute toxicity activities (CC50, LD50, IC50)", self)
        self.form.addRow("ChEMBL IDs", self.ids)
        self.form.addRow("SMILES", self.smiles)
        self.form.addRow("", self.activities)

    def build_request(self) -> ImportRequest:
        from cryodesk.engine.online_import import ChemblImportParams

        params = ChemblImportParams(
            ids=tuple(split_list(self.ids.text())),
            smiles=tuple(split_lines(self.smiles.toPlainText())),
            activities=self.activities.isChecked(),
        )
        return self._request(params, f"ChEMBL import ({len(params.ids) + len(params.smiles)} queries)")


class PubMedImportDialog(ImportDialog):
    kind, service, title = "pubmed", "ncbi", "Import from PubMed"
    params_module = "cryodesk.engine.literature_import"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intro.setText(
            "Abstracts matching a PubMed query, mined for cryoprotectant mentions, "
            "concentrations and outcomes; the evidence is stored with each PMID."
        )
        self.query = self._line("PubMedQuery", "e.g. vitrification AND cryoprotectant toxicity")
        self.max_results = self._spin("PubMedMax", 1, 10_000, 200)
        self.form.addRow("Query", self.query)
        self.form.addRow("At most", self.max_results)

    def build_request(self) -> ImportRequest:
        from cryodesk.engine.literature_import import PubMedImportParams

        params = PubMedImportParams(query=self.query.text().strip(), max_results=self.max_results.value())
        return self._request(params, f"PubMed: {params.query}")


class ToxImportDialog(ImportDialog):
    kind, service, title = "toxcast", None, "Import ToxCast / Tox21 data"
    params_module = "cryodesk.engine.toxcast_import"
    FORMATS = (
        ("toxcast", "ToxCast hit-call matrix (MoleculeNet or invitrodb layout)"),
        ("tox21", "Tox21 per-assay file (aggregated concentration-response)"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intro.setText(
            "Assay results from a ToxCast or Tox21 data file, stored as assay results of "
            "the compounds (structures standardised, chemical codes looked up)."
        )
        self.format = QComboBox(self)
        self.format.setObjectName("ToxFormat")
        for key, label in self.FORMATS:
            self.format.addItem(label, key)
        row, self.path = self._file_row(
            "ToxPath", "ToxCast / Tox21 file", "Data files (*.csv *.tsv *.txt *.gz);;All files (*)"
        )
        self.limit = self._spin("ToxLimit", 0, 10_000_000, 0)
        self.limit.setSpecialValueText("all rows")
        self.form.addRow("Format", self.format)
        self.form.addRow("File", row)
        self.form.addRow("First rows only", self.limit)

    def build_request(self) -> ImportRequest:
        path = _existing_file(self.path, "data")
        if self.format.currentData() == "tox21":
            from cryodesk.engine.tox21_import import Tox21ImportParams

            return ImportRequest("tox21", Tox21ImportParams(path=path), None, f"Tox21 {Path(path).name}")
        from cryodesk.engine.toxcast_import import ToxcastImportParams

        params = ToxcastImportParams(path=path, limit=self.limit.value() or None)
        return self._request(params, f"ToxCast {Path(path).name}")


class DrugBankImportDialog(ImportDialog):
    kind, service, title = "drugbank", None, "Import DrugBank data"
    params_module = "cryodesk.engine.drugbank_import"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intro.setText(
            "DrugBank's open vocabulary (CSV, CC0: names, CAS, InChIKeys) or a full DrugBank "
            "XML export you hold a licence for (streamed; its licence stays with the values)."
        )
        row, self.path = self._file_row(
            "DrugBankPath", "DrugBank file", "DrugBank files (*.csv *.xml *.zip *.gz);;All files (*)"
        )
        self.citation = self._line("DrugBankCitation", "for a full XML: how to cite your release (optional)")
        self.form.addRow("File", row)
        self.form.addRow("Citation", self.citation)

    def build_request(self) -> ImportRequest:
        from cryodesk.engine.drugbank_import import DrugBankVocabularyParams, DrugBankXmlParams

        path = _existing_file(self.path, "DrugBank")
        name = Path(path).name.lower()
        if name.endswith((".xml", ".xml.gz", ".zip")):
            params: Any = DrugBankXmlParams(path=path, citation=self.citation.text().strip() or None)
            return self._request(params, f"DrugBank XML {Path(path).name}")
        return self._request(DrugBankVocabularyParams(path=path), f"DrugBank vocabulary {Path(path).name}")


class CodImportDialog(ImportDialog):
    kind, service, title = "cod", "cod", "Import crystal structures (COD)"
    params_module = "cryodesk.engine.cod_import"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intro.setText(
            "Crystal structures by COD ID (fetched) or from CIF files, stored as crystal "
            "properties of a compound already in the project: the one named below, else the "
            "single compound with the CIF's formula."
        )
        self.ids = self._line("CodIds", "2000056, 1000001   (7-digit COD IDs)")
        row, self.cif = self._file_row("CodCif", "CIF file", "CIF files (*.cif);;All files (*)")
        self.compound = self._line("CodCompound", "name, CAS, InChIKey ... (optional)")
        self.form.addRow("COD IDs", self.ids)
        self.form.addRow("or a CIF file", row)
        self.form.addRow("Compound", self.compound)

    def build_request(self) -> ImportRequest:
        from cryodesk.engine.cod_import import CodImportParams

        ids = tuple(split_list(self.ids.text()))
        bad = [i for i in ids if not re.fullmatch(r"\d{7}", i)]
        if bad:
            raise ValueError(f"not a COD ID (7 digits): {', '.join(bad)}")
        cifs = (_existing_file(self.cif, "CIF"),) if self.cif.text().strip() else ()
        if not ids and not cifs:
            raise ValueError("nothing to import: give COD IDs or a CIF file")
        params = CodImportParams(cod_ids=ids, cif_paths=cifs, compound=self.compound.text().strip() or None)
        # Only fetching by ID needs the network; a CIF file alone is read locally.
        return ImportRequest("cod", params, "cod" if ids else None, f"COD ({len(ids) + len(cifs)} entries)")


DIALOGS: dict[str, tuple[str, type[ImportDialog]]] = {
    "pubchem": ("&PubChem…", PubChemImportDialog),
    "chembl": ("&ChEMBL…", ChemblImportDialog),
    "pubmed": ("Pub&Med literature…", PubMedImportDialog),
    "toxcast": ("&ToxCast / Tox21 file…", ToxImportDialog),
    "drugbank": ("&DrugBank file…", DrugBankImportDialog),
    "cod": ("C&OD crystal structures…", CodImportDialog),
}


# -- starting the job ------------------------------------------------------------------------------
def import_work(project_path: str, request: ImportRequest, in_child: bool = True) -> Callable[..., Any]:
    """The job-slot task: check the service is reachable, then run the import (in a child process)."""

    def work(progress: Callable[..., None], cancel: Any) -> Any:
        if request.service:
            progress(0, 0, f"Connecting to {SERVICE_NAMES.get(request.service, request.service)}…")
            check_reachable(request.service)  # fails in seconds without a network
        if in_child:
            return run_in_process(
                run_import, (project_path, request), progress, cancel, f"cryodesk-{request.kind}"
            )
        return run_import(progress, cancel, project_path, request)

    return work


def start_import_request(window: MainWindow, request: ImportRequest) -> bool:
    """Run ``request`` in the window's job slot (progress and Cancel in the activity bar)."""
    work = import_work(str(window.wb.project.path), request, window.jobs_in_child_process)
    return window._start_job("import", request.title, work)  # the window's one job slot


def open_import_dialog(window: MainWindow, kind: str) -> ImportDialog | None:
    """Open the dialog for ``kind`` (window-modal, non-blocking); Run starts the import."""
    if window.wb.project.read_only:
        QMessageBox.information(
            window, window.windowTitle(), "This project is open read-only: nothing can be imported into it."
        )
        return None
    dialog = DIALOGS[kind][1](window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(
        lambda: dialog.request is not None and start_import_request(window, dialog.request)
    )
    window.last_dialog = dialog
    dialog.open()
    return dialog


def add_import_menu(window: MainWindow, menu: QMenu) -> QMenu:
    """A "From a service or data set" submenu of ``menu`` with one entry per dialog."""
    submenu = menu.addMenu("Import from a &service or data set")
    submenu.setObjectName("ImportSourcesMenu")
    for kind, (label, dialog_class) in DIALOGS.items():
        action = submenu.addAction(label)
        action.setObjectName(f"import_{kind}_action")
        action.setStatusTip(dialog_class.title)
        action.triggered.connect(lambda _checked=False, kind=kind: open_import_dialog(window, kind))
    return submenu
