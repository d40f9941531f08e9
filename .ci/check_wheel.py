"""Check that a built wheel holds every tracked file of the package and the license.

Usage: ``python .ci/check_wheel.py dist/audiosk-<version>-py3-none-any.whl`` from the
repository root. Exits non-zero, naming the missing files, when the wheel lacks any.
"""

import subprocess
import sys
import zipfile


def missing_from(wheel: str) -> list[str]:
    """Return the tracked package files (and the LICENSE) that ``wheel`` lacks."""
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "audiosk"], capture_output=True, text=True, check=True
    ).stdout.split("\0")
    missing = sorted({path for path in tracked if path} - names)
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
        missing.append("<dist-info>/licenses/LICENSE")
    return missing


if __name__ == "__main__":
    missing = missing_from(sys.argv[1])
    if missing:
        sys.exit(f"{sys.argv[1]} lacks {len(missing)} file(s): {', '.join(missing)}")
    data = [n for n in zipfile.ZipFile(sys.argv[1]).namelist() if "/data/" in n]
    print(f"wheel holds every package file and the LICENSE ({len(data)} data files)")
