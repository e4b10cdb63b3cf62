"""What the PyInstaller bundle must contain, as plain data: read by ``cryodesk.spec`` and by the tests.

Kept apart from the spec because a spec file only runs inside PyInstaller; these lists are what the
tests in ``tests/build`` check (every runtime dependency is covered, no second Qt binding, string
imports are declared) without a full build.
"""

from __future__ import annotations

APP_NAME = "cryodesk"  # executable, install folder and package name
DISPLAY_NAME = "CryoDesk"
MIME_TYPE = "application/x-cryodesk"
PROJECT_SUFFIX = ".cryodesk"
BUILD_RECORD = "cryodesk_build.json"  # written by the spec at build time, read by the frozen self-test

# Distribution name in pyproject.toml -> the module the app imports. A dependency added to pyproject
# without an entry here fails tests/build, so nobody adds one that the bundle silently lacks.
RUNTIME_IMPORTS: dict[str, str] = {
    "rdkit": "rdkit",
    "PySide6-Essentials": "PySide6",
    "apsw": "apsw",
    "scikit-learn": "sklearn",
    "lightgbm": "lightgbm",
    "networkx": "networkx",
    "pyqtgraph": "pyqtgraph",
    "requests": "requests",
    "diskcache": "diskcache",
    "platformdirs": "platformdirs",
    "defusedxml": "defusedxml",
    "numpy": "numpy",
    "scipy": "scipy",
    "dask": "distributed",  # dask[distributed]: the scheduler client is what screening imports
    "gemmi": "gemmi",
    "py2opsin": "py2opsin",
}

# Dependencies that later issues add (distributed screening, CIF reading, the 3D view, name-to-structure).
# The spec bundles each one that is installed in the build environment (with its submodules and data),
# and the frozen self-test imports each one that was bundled. Add the import name here when an issue
# adds the dependency to pyproject.toml (and to RUNTIME_IMPORTS above).
OPTIONAL_IMPORTS: tuple[str, ...] = (
    "dask",
    "distributed",
    "gemmi",  # CIF library candidates
    "CifFile",
    "py3Dmol",  # 3D renderer candidates
    "vispy",
    "py2opsin",  # OPSIN wrappers (they need a Java runtime or ship a jar: check their data is bundled)
    "pyopsin",
)

# Modules imported by name at run time (pickled references in spawned workers, importlib, entry
# points) or only inside functions that the frozen app reaches late. PyInstaller's analysis follows
# plain ``import`` statements, including those inside functions, so most of this is belt and braces;
# the spec also collects every ``cryodesk`` submodule, which covers pickled worker functions.
HIDDEN_IMPORTS: tuple[str, ...] = (
    "cryodesk.gui.app",  # `cryodesk gui` imports it inside main()
    "cryodesk.gui.main_window",
    "cryodesk.engine.records",  # standardise_records is unpickled by name in spawned workers
    "cryodesk.engine.seed",
    "cryodesk.chem.features.batch",  # _run_chunk is unpickled by name in spawned workers
    "cryodesk.selftest",
    "apsw",
    "PySide6.QtSvg",  # the svg image-format and icon-engine plugins load Qt's Svg library
    "pyqtgraph",  # a dependency that no module imports yet: bundle it for the plotting views
    "sklearn.ensemble",
    "sklearn.neighbors",
    "sklearn.tree",
    "sklearn.utils._typedefs",
    "sklearn.utils._heap",
    "sklearn.utils._sorting",
    "sklearn.utils._vector_sentinel",
    "sklearn.neighbors._partition_nodes",
    "lightgbm",
    "scipy.optimize",
    "scipy.stats",
    "diskcache",
    "defusedxml.ElementTree",
    "platformdirs.unix",
    "platformdirs.windows",
    "platformdirs.macos",
    "multiprocessing.popen_spawn_posix",
    "multiprocessing.popen_spawn_win32",
    "multiprocessing.resource_tracker",
    "concurrent.futures.process",
)

# A second Qt binding aborts the build (PyInstaller refuses two), and the rest only add size.
EXCLUDES: tuple[str, ...] = (
    "PyQt5",
    "PyQt6",
    "PySide2",
    "tkinter",
    "_tkinter",
    "matplotlib",
    "IPython",
    "jupyter_client",
    "notebook",
    "pytest",
    "hypothesis",
    "ruff",
    "importlinter",
    "rdkit.Chem.Draw.Qt",  # RDKit's Qt drawer needs PyQt's sip; we render SVG/PNG bytes instead
    "pyqtgraph.examples",
    "pyqtgraph.jupyter",
    "pyqtgraph.opengl",  # needs PyOpenGL, which we do not ship
)

# Qt plugin folders the app needs. PyInstaller's PySide6 hooks collect these for the Qt modules in use;
# the spec checks afterwards that the files below made it (offscreen for the self-test and CI, xcb for
# X11 desktops, wayland for Wayland ones, svg for icons and depictions).
REQUIRED_QT_PLUGINS: dict[str, tuple[str, ...]] = {
    "linux": ("platforms/libqoffscreen.so", "platforms/libqxcb.so", "imageformats/libqsvg.so",
              "iconengines/libqsvgicon.so"),
    "win32": ("platforms/qoffscreen.dll", "platforms/qwindows.dll", "imageformats/qsvg.dll"),
    "darwin": ("platforms/libqoffscreen.dylib", "platforms/libqcocoa.dylib", "imageformats/libqsvg.dylib"),
}

# RDKit's package folder holds test data next to its real data; none of it is needed at run time.
RDKIT_DATA_EXCLUDES: tuple[str, ...] = (
    "**/test_data/**",
    "**/testData/**",
    "**/test-data/**",
    "**/UnitTest*",
    "**/*.pyc",
)
