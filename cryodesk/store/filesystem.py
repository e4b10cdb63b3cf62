"""Detect project files on network file systems, where SQLite's WAL mode is unsafe.

WAL needs shared memory between all processes that open the file, which SMB/NFS cannot give
across machines; SQLite's own documentation says WAL does not work over a network file system.
On such a drive we fall back to the rollback journal (``DELETE``), and say so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NETWORK_FS_TYPES = frozenset(
    {"nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "afs", "ncpfs", "9p", "fuse.sshfs", "sshfs",
     "davfs", "fuse.davfs2", "glusterfs", "fuse.glusterfs", "ceph", "fuse.rclone", "lustre", "gpfs"}
)


def _unescape_mount_field(field: str) -> str:
    # /proc/mounts escapes spaces and tabs as octal (\040, \011).
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")


def filesystem_type(path: Path, mounts_file: Path = Path("/proc/mounts")) -> str | None:
    """Return the file-system type of the mount holding ``path`` (Linux), or None if unknown."""
    try:
        lines = mounts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best_mount, best_type = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point, fs_type = _unescape_mount_field(parts[1]), parts[2]
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best_mount):
            best_mount, best_type = mount_point, fs_type
    return best_type


def _windows_drive_is_remote(path: Path) -> bool:
    import ctypes  # only on Windows

    drive = os.path.splitdrive(str(path.resolve()))[0]
    if drive.startswith("\\\\"):
        return True
    drive_remote = 4  # DRIVE_REMOTE from GetDriveTypeW
    return bool(drive) and ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == drive_remote


def is_network_path(path: Path, mounts_file: Path = Path("/proc/mounts")) -> bool:
    """True if ``path`` (or the directory it would be created in) is on a network file system."""
    probe = path if path.exists() else path.parent
    if str(probe).startswith(("\\\\", "//")):
        return True
    if sys.platform == "win32":
        return _windows_drive_is_remote(probe)
    fs_type = filesystem_type(probe, mounts_file)
    return fs_type is not None and fs_type.lower() in NETWORK_FS_TYPES
