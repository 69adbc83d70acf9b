"""Build the one-click folder of a station laptop: FieldReg with its own Python, nothing to install.

    python installer/build.py [--wheel dist/fieldreg-0.1.0-py3-none-any.whl] [--out dist] [--zip]

A venv for the build (build/portable-venv, or --venv) gets the wheel and PyInstaller (the
versions pinned in requirements-dev.txt); PyInstaller freezes the `fieldreg` command
(installer/entry.py) into a folder; the start script and a README are added beside it:

    dist/FieldReg-linux-x86_64/         FieldReg-windows-amd64 when built on Windows
        start-fieldreg.sh               Start-FieldReg.bat on Windows: double-click it
        README.txt
        fieldreg/fieldreg               fieldreg.exe: the whole command line (doctor, users...)
        fieldreg/_internal/             Python, the libraries, templates, translations, static
        data/                           made at the first start: the station's data

PyInstaller does not cross-compile: build the Windows folder on Windows (docs/install.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WINDOWS = os.name == "nt"
START_SCRIPT = "Start-FieldReg.bat" if WINDOWS else "start-fieldreg.sh"
PACKAGER = ("pyinstaller", "pyinstaller-hooks-contrib")


def pinned(names: tuple[str, ...]) -> list[str]:
    """Return the name==version pins of the packager from requirements-dev.txt."""
    pins = {}
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        requirement = line.split("#")[0].strip()
        if "==" in requirement:
            pins[requirement.split("==")[0].lower()] = requirement
    return [pins[name] for name in names]


def venv_python(venv: Path) -> Path:
    """Return the Python of a venv."""
    return venv / "Scripts" / "python.exe" if WINDOWS else venv / "bin" / "python"


def find_wheel(given: Path | None) -> Path:
    """Return the wheel to freeze: the one given, else the newest in dist/ (built if none)."""
    if given:
        return given.resolve()
    wheels = sorted((ROOT / "dist").glob("fieldreg-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(ROOT / "dist")]
        run([*pip, str(ROOT)])
        return find_wheel(None)
    return wheels[-1]


def prepare_venv(venv: Path, wheel: Path) -> Path:
    """Make (or reuse) the build venv and install the wheel and the packager in it."""
    python = venv_python(venv)
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, str(wheel), *pinned(PACKAGER)])
    return python


def freeze(python: Path, work: Path) -> Path:
    """Freeze the fieldreg command with PyInstaller; return the folder it made."""
    run(
        [
            str(python),
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            "--onedir",
            "--console",  # the window shows the addresses and stays open while serving
            "--name=fieldreg",
            "--collect-data=fieldreg",  # templates, translations, static (in the wheel)
            "--collect-submodules=fieldreg",  # commands import their modules when run
            "--collect-submodules=sync",
            f"--distpath={work / 'dist'}",
            f"--workpath={work / 'build'}",
            f"--specpath={work}",
            str(HERE / "entry.py"),
        ]
    )
    return work / "dist" / "fieldreg"


def assemble(frozen: Path, out: Path) -> Path:
    """Put the frozen program, the start script and the README into the one-click folder."""
    system, machine = platform.system().lower(), platform.machine().lower()
    folder = out / f"FieldReg-{system}-{machine}"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(frozen, folder / "fieldreg", symlinks=True)
    shutil.copy2(HERE / START_SCRIPT, folder / START_SCRIPT)
    shutil.copy2(HERE / "README.txt", folder / "README.txt")
    (folder / START_SCRIPT).chmod(0o755)
    return folder


def run(cmd: list[str]) -> None:
    """Run a build step, stopping the build if it fails."""
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main(argv: list[str] | None = None) -> Path:
    """Build the one-click folder and return its path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="fieldreg wheel (default: newest in dist/)")
    parser.add_argument("--venv", type=Path, help="build venv (default: build/portable-venv)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the folder goes")
    parser.add_argument("--zip", action="store_true", help="also write FOLDER.zip to carry")
    args = parser.parse_args(argv)
    wheel = find_wheel(args.wheel)
    python = prepare_venv((args.venv or ROOT / "build" / "portable-venv").resolve(), wheel)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fieldreg-freeze-") as work:
        folder = assemble(freeze(python, Path(work)), args.out.resolve())
    if args.zip:
        shutil.make_archive(str(folder), "zip", folder.parent, folder.name)
    print(f"One-click folder: {folder}")
    return folder


if __name__ == "__main__":
    main()
