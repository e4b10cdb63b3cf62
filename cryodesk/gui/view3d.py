"""3D views of a molecule (ETKDG conformer) and of a crystal (unit cell and packing).

Rendering path: a software renderer on ``QPainter``. :class:`Structure3DView` projects the scene
with a perspective camera, sorts atoms, bond halves and cell edges back to front (painter's
algorithm) and draws shaded spheres (radial gradients, CPK colours) and bonds. It needs nothing but
QtGui: no OpenGL context, no PyOpenGL, no GPU driver. So it works the same on lab workstations
without working GL drivers, over remote desktops, in the frozen PyInstaller app (no extra plugins
or hidden imports) and headless under ``QT_QPA_PLATFORM=offscreen``, where the tests drive it.
pyqtgraph.opengl was not chosen: it needs PyOpenGL and a GL context, which the offscreen platform
does not give. The cost is speed: a few thousand atoms (a crystal with its 26 neighbour cells)
take tens of milliseconds per frame, which is fine for drag rotation of small-molecule structures.

The scene comes from :mod:`cryodesk.engine.structure3d` (through the workbench); this module does
no chemistry: it only knows a colour per element symbol.

Controls: drag with the left button to rotate, wheel to zoom, *Reset* to go back, *Atom labels*
and *Hydrogens* to toggle what is drawn; for crystals *Neighbouring cells* reloads the 3x3x3 block.
A compound's window offers its conformer with or without MMFF relaxation and, when the project holds
COD ids for it (``import cod``), its crystal structures, fetched through the HTTP cache.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QPainter, QPen, QRadialGradient, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cryodesk.domain import IdentifierKind
from cryodesk.gui.worker import TaskSlot

if TYPE_CHECKING:
    from cryodesk.engine.service import CompoundDetail, Workbench
    from cryodesk.engine.structure3d import Scene

#: CPK / Jmol colours (the convention chemists read without a legend); others fall back to pink.
CPK_COLOURS: dict[str, str] = {
    "H": "#FFFFFF",
    "C": "#909090",
    "N": "#3050F8",
    "O": "#FF0D0D",
    "F": "#90E050",
    "Cl": "#1FF01F",
    "Br": "#A62929",
    "I": "#940094",
    "S": "#FFFF30",
    "P": "#FF8000",
    "Na": "#AB5CF2",
    "K": "#8F40D4",
    "Mg": "#8AFF00",
    "Ca": "#3DFF00",
    "B": "#FFB5B5",
    "Si": "#F0C8A0",
    "Fe": "#E06633",
    "Li": "#CC80FF",
    "Zn": "#7D80B0",
    "Cu": "#C88033",
    "Se": "#FFA100",
}
FALLBACK_COLOUR = "#FF1493"
BACKGROUND = QColor("#1E2127")
CELL_COLOUR = QColor("#E0C060")
#: Ball size in Å from the covalent radius (ball-and-stick: small enough to see the bonds).
BALL_BASE, BALL_SCALE = 0.18, 0.32
BOND_WIDTH_A = 0.16
ROTATE_RAD_PER_PX = 0.01
ZOOM_STEP = 1.15
MIN_ZOOM, MAX_ZOOM = 0.1, 30.0
CAMERA_DISTANCE = 4.0  # in scene extents: far enough for mild perspective


def rotation(axis: str, angle: float) -> np.ndarray:
    """The 3x3 rotation by ``angle`` radians about the view's ``x`` or ``y`` axis."""
    c, s = math.cos(angle), math.sin(angle)
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]], float)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]], float)


class Structure3DView(QWidget):
    """Draws a :class:`~cryodesk.engine.structure3d.Scene`; rotate by dragging, zoom with the wheel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Structure3DView")
        self.setMinimumSize(240, 200)
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.scene: Scene | None = None
        self.show_labels = False
        self.show_hydrogens = True
        self.rotation_matrix = np.eye(3)
        self.zoom = 1.0
        self._drag_from: QPointF | None = None
        self._xyz = np.zeros((0, 3))
        self._centre = np.zeros(3)
        self._extent = 1.0
        self._edges = np.zeros((0, 2, 3))

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    # -- state ------------------------------------------------------------------------------------
    def set_scene(self, scene: Scene | None) -> None:
        self.scene = scene
        if scene is not None:
            self._xyz = np.asarray([a.xyz for a in scene.atoms], float).reshape(-1, 3)
            self._edges = np.asarray(scene.cell_edges, float).reshape(-1, 2, 3)
            self._centre = np.asarray(scene.centre(), float)
            self._extent = scene.extent()
        self.reset_view()

    def reset_view(self) -> None:
        """Initial orientation (a slight tilt, so a cell reads as a box) and zoom."""
        self.rotation_matrix = rotation("x", -0.35) @ rotation("y", 0.5)
        self.zoom = 1.0
        self.update()

    def set_labels_visible(self, visible: bool) -> None:
        self.show_labels = visible
        self.update()

    def set_hydrogens_visible(self, visible: bool) -> None:
        self.show_hydrogens = visible
        self.update()

    def rotate(self, dx_px: float, dy_px: float) -> None:
        """Rotate as a drag of (dx, dy) pixels would: horizontal about the y axis, vertical about x."""
        turn = rotation("y", dx_px * ROTATE_RAD_PER_PX) @ rotation("x", dy_px * ROTATE_RAD_PER_PX)
        self.rotation_matrix = turn @ self.rotation_matrix
        self.update()

    def zoom_by(self, factor: float) -> None:
        self.zoom = float(min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor)))
        self.update()

    # -- projection -------------------------------------------------------------------------------
    def _view_coords(self, points: np.ndarray) -> np.ndarray:
        return (points - self._centre) @ self.rotation_matrix.T

    def _project(self, view: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Screen positions (px) and perspective scale (px per Å) of view-space points."""
        camera = CAMERA_DISTANCE * self._extent
        depth = np.maximum(camera - view[:, 2], 0.05 * camera)  # z points to the viewer
        base = 0.5 * min(self.width(), self.height()) / self._extent * self.zoom
        scale = base * (CAMERA_DISTANCE - 1.0) * self._extent / depth  # the nearest atoms keep ``base``
        screen = np.empty((len(view), 2))
        screen[:, 0] = self.width() / 2 + view[:, 0] * scale
        screen[:, 1] = self.height() / 2 - view[:, 1] * scale
        return screen, scale

    def projected_atoms(self) -> np.ndarray:
        """Screen positions of every atom (n x 2) for the current rotation, zoom and size."""
        if self.scene is None or len(self._xyz) == 0:
            return np.zeros((0, 2))
        return self._project(self._view_coords(self._xyz))[0]

    # -- events -----------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.position()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None and event.buttons() & Qt.MouseButton.LeftButton:
            now = event.position()
            self.rotate(now.x() - self._drag_from.x(), now.y() - self._drag_from.y())
            self._drag_from = now
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag_from = None
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(ZOOM_STEP**steps)
        event.accept()

    # -- painting ---------------------------------------------------------------------------------
    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), BACKGROUND)
        if self.scene is None or (len(self._xyz) == 0 and len(self._edges) == 0):
            painter.setPen(QColor("#C0C0C0"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No 3D structure")
            painter.end()
            return
        for _depth, draw in sorted(self._draw_items(), key=lambda item: item[0]):
            draw(painter)
        painter.end()

    def _draw_items(self) -> list[tuple[float, Callable[[QPainter], None]]]:
        """(depth, draw) for every atom, bond half and cell edge; painted far to near."""
        scene = self.scene
        assert scene is not None
        items: list[tuple[float, Callable[[QPainter], None]]] = []
        visible = np.asarray([self.show_hydrogens or a.element != "H" for a in scene.atoms], bool)
        if len(self._xyz):
            view = self._view_coords(self._xyz)
            screen, scale = self._project(view)
            for i, atom in enumerate(scene.atoms):
                if visible[i]:
                    radius_px = (BALL_BASE + BALL_SCALE * atom.radius) * scale[i]
                    items.append(
                        (
                            view[i, 2],
                            _sphere(
                                screen[i], radius_px, atom.element, atom.label if self.show_labels else None
                            ),
                        )
                    )
            for bond in scene.bonds:
                a, b = bond.begin, bond.end
                if visible[a] and visible[b]:
                    items.extend(self._bond_halves(view, screen, scale, a, b, bond.order))
        if len(self._edges):
            flat = self._view_coords(self._edges.reshape(-1, 3))
            screen_e, _ = self._project(flat)
            for k in range(len(self._edges)):
                p, q = screen_e[2 * k], screen_e[2 * k + 1]
                depth = float((flat[2 * k, 2] + flat[2 * k + 1, 2]) / 2)
                items.append((depth, _line(p, q, CELL_COLOUR, 1.6)))
        return items

    def _bond_halves(
        self, view: np.ndarray, screen: np.ndarray, scale: np.ndarray, a: int, b: int, order: float
    ) -> list[tuple[float, Callable[[QPainter], None]]]:
        # Each half in its atom's colour, so a bond shows which elements it joins; a half sorts just
        # behind its own atom, so that ball covers where the stick starts.
        mid = (screen[a] + screen[b]) / 2
        width = max(1.0, BOND_WIDTH_A * float(scale[a] + scale[b]) / 2)
        if order >= 2:
            width *= 1.6  # double/triple/aromatic bonds read thicker (a cue, not a model)
        elements = self.scene.atoms  # type: ignore[union-attr]
        out = []
        for end, point in ((a, screen[a]), (b, screen[b])):
            colour = QColor(CPK_COLOURS.get(elements[end].element, FALLBACK_COLOUR)).darker(115)
            depth = float(view[end, 2]) - 1e-3
            out.append((depth, _line(point, mid, colour, width)))
        return out


def _line(p: np.ndarray, q: np.ndarray, colour: QColor, width: float) -> Callable[[QPainter], None]:
    def draw(painter: QPainter) -> None:
        pen = QPen(colour, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(float(p[0]), float(p[1])), QPointF(float(q[0]), float(q[1])))

    return draw


def _sphere(centre: np.ndarray, radius: float, element: str, label: str | None) -> Callable[[QPainter], None]:
    def draw(painter: QPainter) -> None:
        colour = QColor(CPK_COLOURS.get(element, FALLBACK_COLOUR))
        x, y = float(centre[0]), float(centre[1])
        # Light from the upper left: a highlight off-centre, the rim darker, so balls read as spheres.
        gradient = QRadialGradient(QPointF(x - radius * 0.35, y - radius * 0.35), radius * 1.3)
        gradient.setColorAt(0.0, colour.lighter(170))
        gradient.setColorAt(0.45, colour)
        gradient.setColorAt(1.0, colour.darker(260))
        painter.setPen(QPen(colour.darker(300), 0.6))
        painter.setBrush(QBrush(gradient))
        painter.drawEllipse(QPointF(x, y), radius, radius)
        if label:
            painter.setPen(QColor("#F5F5F5"))
            font = QFont(painter.font())
            font.setPointSizeF(8)
            painter.setFont(font)
            painter.drawText(QPointF(x + radius * 0.8, y - radius * 0.8), label)

    return draw


#: What a window can show: a label and a builder taking ``neighbours`` (used by crystals only).
Choice = tuple[str, "Callable[[bool], Scene]", bool]  # (label, build, is_crystal)


class Structure3DWindow(QWidget):
    """A window with the 3D view, its toggles, a choice of structures, and the scene's notes."""

    def __init__(self, title: str, choices: list[Choice], parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("Structure3DWindow")
        self.setWindowTitle(title)
        self.choices = choices
        self.view = Structure3DView(self)
        self.status = QLabel("Building the 3D structure...", self)
        self.status.setWordWrap(True)
        self.structure_box = QComboBox(self)
        self.structure_box.addItems([label for label, _b, _c in choices])
        self.structure_box.setVisible(len(choices) > 1)
        self.structure_box.currentIndexChanged.connect(lambda _i: self._build())
        self.labels_box = QCheckBox("Atom labels", self)
        self.labels_box.toggled.connect(self.view.set_labels_visible)
        self.hydrogens_box = QCheckBox("Hydrogens", self)
        self.hydrogens_box.setChecked(True)
        self.hydrogens_box.toggled.connect(self.view.set_hydrogens_visible)
        self.neighbours_box = QCheckBox("Neighbouring cells", self)
        self.neighbours_box.toggled.connect(lambda _on: self._build())
        self.reset_button = QPushButton("Reset view", self)
        self.reset_button.clicked.connect(self.view.reset_view)
        bar = QHBoxLayout()
        for widget in (self.structure_box, self.labels_box, self.hydrogens_box, self.neighbours_box):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(QLabel("Drag to rotate, wheel to zoom", self))
        bar.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        self.slot = TaskSlot("3d", parent=self)
        self.slot.finished.connect(self.show_scene)
        self.slot.failed.connect(lambda e: self.status.setText(f"No 3D structure: {e}"))
        self.resize(900, 700)
        self._build()

    def show_scene(self, scene: Scene) -> None:
        self.view.set_scene(scene)
        counts = f"{len(scene.atoms)} atoms, {len(scene.bonds)} bonds"
        if scene.cell_edges:
            counts += f", unit cell ({len(scene.cell_edges)} edges)"
        self.status.setText(f"{scene.title}: {counts}. " + "; ".join(scene.notes))

    def _build(self) -> None:
        """Build the chosen scene on the thread pool (embedding or symmetry expansion takes a moment)."""
        if not self.choices:
            return
        label, build, is_crystal = self.choices[max(0, self.structure_box.currentIndex())]
        self.neighbours_box.setVisible(is_crystal)
        neighbours = is_crystal and self.neighbours_box.isChecked()
        self.status.setText(f"Building {label}...")
        self.slot.start(lambda _p, _c: build(neighbours), f"3d {label}")


def crystal_ids(detail: CompoundDetail | None) -> list[str]:
    """COD ids stored for a compound (its crystal structures that can be fetched again)."""
    if detail is None:
        return []
    return sorted({i.value for i in detail.identifiers if i.kind is IdentifierKind.COD_ID})


def open_compound_3d(
    parent: QWidget | None, workbench: Workbench, inchikey: str, title: str, cod_ids: list[str] | tuple = ()
) -> Structure3DWindow:
    """A window with the compound's ETKDG conformer (MMFF-optimised or raw) and its COD crystals."""
    choices: list[Choice] = [
        ("Conformer (ETKDG + MMFF94)", lambda _n: workbench.molecule_scene(inchikey, optimize=True), False),
        (
            "Conformer (ETKDG, not optimised)",
            lambda _n: workbench.molecule_scene(inchikey, optimize=False),
            False,
        ),
    ]
    for cod_id in cod_ids:
        choices.append(
            (
                f"Crystal COD {cod_id}",
                lambda n, c=cod_id: workbench.crystal_scene(cod_id=c, neighbours=n),
                True,
            )
        )
    window = Structure3DWindow(f"3D: {title}", choices, parent)
    window.show()
    return window


def open_crystal_3d(
    parent: QWidget | None, workbench: Workbench, *, path: str | None = None, cod_id: str | None = None
) -> Structure3DWindow:
    """Open a window with the unit cell of a CIF file or a COD entry (fetched through the cache)."""

    def build(neighbours: bool) -> Scene:
        return workbench.crystal_scene(path=path, cod_id=cod_id, neighbours=neighbours)

    window = Structure3DWindow(
        f"Crystal: {cod_id or path}", [(f"Crystal {cod_id or path}", build, True)], parent
    )
    window.show()
    return window
