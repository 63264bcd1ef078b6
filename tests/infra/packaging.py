"""The Function's deployment package as azd and deploy.yml build it, for tests that cannot run
azd or GitHub Actions.

azd packs a Function's service folder (azure.yaml `project: .`) minus its `.funcignore`, read
with .gitignore syntax (https://learn.microsoft.com/azure/developer/azure-developer-cli/
service-packaging-ignore-files; Azure/azure-dev#4381, implemented in #5383). With the file
present azd applies none of its default exclusions (virtual environments, `__pycache__`); it
always leaves out its own `.azure/` folder and, for a function app, `local.settings.json`.
Matching is pathspec's GitIgnoreSpec, git's own rules: a trailing slash matches directories only,
a pattern without a slash matches at any depth, and a directory left out is not entered.

deploy.yml runs scripts/package-function.sh and hands the folder to Azure/functions-action,
which zips it as it is (that action does not read `.funcignore`, Azure/functions-action#36).
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

from pathspec import GitIgnoreSpec

IGNORE_FILE = ".funcignore"
# Left out by azd whatever the ignore file says (azure-dev: globalExcludeAzdFolder; #5383 for
# local.settings.json of function apps).
AZD_ALWAYS_EXCLUDED_DIRS = {".azure"}
AZD_ALWAYS_EXCLUDED_FILES = {"local.settings.json"}


def ignore_spec(service_dir: Path, text: str | None = None) -> GitIgnoreSpec:
    """The service's .funcignore (or ``text`` in its place) as git would read it."""
    if text is None:
        text = (service_dir / IGNORE_FILE).read_text(encoding="utf-8")
    return GitIgnoreSpec.from_lines(text.splitlines())


def excluded(spec: GitIgnoreSpec, relative: str, is_dir: bool) -> bool:
    """Whether azd leaves this path (relative, with slashes) out of the package."""
    name = relative.rsplit("/", 1)[-1]
    if is_dir and name in AZD_ALWAYS_EXCLUDED_DIRS:
        return True
    if not is_dir and relative in AZD_ALWAYS_EXCLUDED_FILES:
        return True
    return spec.match_file(relative + "/" if is_dir else relative)


def azd_files(service_dir: Path, spec: GitIgnoreSpec | None = None) -> list[str]:
    """The files azd puts in the package, as relative paths with slashes, sorted."""
    spec = spec or ignore_spec(service_dir)
    kept = []
    for top, dirs, files in os.walk(service_dir):
        base = Path(top).relative_to(service_dir).as_posix()
        prefix = "" if base == "." else base + "/"
        dirs[:] = [d for d in dirs if not excluded(spec, prefix + d, is_dir=True)]
        kept += [prefix + f for f in files if not excluded(spec, prefix + f, is_dir=False)]
    return sorted(kept)


def azd_package(service_dir: Path, zip_path: Path) -> Path:
    """The zip azd deploys (createDeployableZip of the packed folder)."""
    return zip_files(service_dir, azd_files(service_dir), zip_path)


def deploy_yml_package(repo: Path, zip_path: Path) -> Path:
    """The zip deploy.yml ships: its package script's folder, zipped whole as the action does."""
    folder = zip_path.with_suffix("")
    subprocess.run(
        ["bash", str(repo / "scripts" / "package-function.sh"), str(folder)],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return zip_files(folder, files_under(folder), zip_path)


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def zip_files(root: Path, files: list[str], zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in files:
            archive.write(root / relative, relative)
    return zip_path


def unpack(zip_path: Path, dest: Path) -> Path:
    """What the platform unpacks: the zip's files in a fresh folder."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(dest)
    return dest
