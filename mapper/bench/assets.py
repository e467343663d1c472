"""Local copies of the scripts and styles the peer (folium) page loads from CDNs.

The browser runs with the network cut off, so every CDN address the peer page names is served
from a file of the SAME npm release, fetched once with ``npm pack`` into
``benchmarks/.cache/npm/`` (git-ignored) and unpacked there. Addresses are mapped to
``(package, version, path in the package)`` by :data:`RULES`, a table of patterns: jsDelivr's
``/npm/<pkg>@<version>/<path>`` maps itself; cdnjs and code.jquery.com addresses are listed.

A few files folium names have no npm release of that version; they are listed in :data:`STUBS`
and served empty, with the reason, and reported in the results:

- jQuery UI 1.10.2 (npm starts at 1.10.4); the TimeDimension control does not use it.
- Bootstrap 3.0.0's separate glyphicons stylesheet and folium's rotate stylesheet from GitHub
  (CSS for icon markers, which the peer page does not draw).
"""

from __future__ import annotations

import mimetypes
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

#: The benchmark cache (git-ignored): npm tarballs, unpacked releases, npm's own cache.
DEFAULT_CACHE = Path(__file__).resolve().parents[2] / "benchmarks" / ".cache"


@dataclass(frozen=True)
class Asset:
    """Where one CDN address is served from."""

    url: str
    package: str | None  # ``None``: a stub, served empty
    version: str | None
    path: str | None
    note: str = ""


#: (regular expression on the address, package, version, path template); groups fill ``{1}``...
RULES: tuple[tuple[str, str, str, str], ...] = (
    (r"^https://cdn\.jsdelivr\.net/npm/((?:@[^/@]+/)?[^/@]+)@([^/]+)/(.+)$", "{1}", "{2}", "{3}"),
    (r"^https://code\.jquery\.com/jquery-([\d.]+)\.min\.js$", "jquery", "{1}",
     "dist/jquery.min.js"),
    (r"^https://cdnjs\.cloudflare\.com/ajax/libs/jquery/([\d.]+)/jquery\.min\.js$", "jquery",
     "{1}", "dist/jquery.min.js"),
    (r"^https://cdnjs\.cloudflare\.com/ajax/libs/moment\.js/([\d.]+)/moment\.min\.js$", "moment",
     "{1}", "min/moment.min.js"),
    (r"^https://cdnjs\.cloudflare\.com/ajax/libs/highlight\.js/(\d+\.\d+)/styles/(\w+)\.min\.css$",
     "highlight.js", "{1}.0", "styles/{2}.css"),
    # the cdnjs Leaflet.awesome-markers 2.0.2 files, republished on npm under this name
    (r"^https://cdnjs\.cloudflare\.com/ajax/libs/Leaflet\.awesome-markers/([\d.]+)/"
     r"leaflet\.awesome-markers\.(js|css)$", "drmonty-leaflet-awesome-markers", "{1}",
     "{2}/leaflet.awesome-markers.{2}"),
)

#: Addresses served empty: (regular expression, reason).
STUBS: tuple[tuple[str, str], ...] = (
    (r"^https://cdnjs\.cloudflare\.com/ajax/libs/jqueryui/1\.10\.2/",
     "jQuery UI 1.10.2 is not on npm; unused by Leaflet.TimeDimension"),
    (r"^https://netdna\.bootstrapcdn\.com/bootstrap/3\.0\.0/css/bootstrap-glyphicons\.css$",
     "not on npm; icon CSS for markers the page does not draw"),
    (r"^https://cdn\.jsdelivr\.net/gh/python-visualization/folium/",
     "a file from folium's GitHub tree, not on npm; icon CSS"),
)


def resolve(url: str) -> Asset | None:
    """Map a CDN address to its npm package file, a stub, or ``None`` (unknown: blocked).

    Parameters
    ----------
    url
        The address without query string or fragment.

    Returns
    -------
    Asset or None

    Examples
    --------
    >>> a = resolve("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
    >>> a.package, a.version, a.path
    ('leaflet', '1.9.3', 'dist/leaflet.js')
    """
    url = url.split("#", 1)[0].split("?", 1)[0]
    for pattern, reason in STUBS:
        if re.match(pattern, url):
            return Asset(url, None, None, None, reason)
    for pattern, pkg, ver, path in RULES:
        m = re.match(pattern, url)
        if m:
            groups = {f"{{{i}}}": g for i, g in enumerate(m.groups(), start=1)}

            def fill(template: str, groups: dict[str, str] = groups) -> str:
                for key, value in groups.items():
                    template = template.replace(key, value)
                return template

            return Asset(url, fill(pkg), fill(ver), fill(path))
    return None


def package_dir(cache: Path, package: str, version: str) -> Path:
    """The folder an npm release is unpacked into."""
    return cache / "npm" / f"{package.replace('/', '__')}@{version}"


def fetch_package(cache: Path, package: str, version: str) -> Path:
    """Unpack ``package@version`` from the npm registry into the cache, once.

    Parameters
    ----------
    cache
        The benchmark cache folder (``benchmarks/.cache``).
    package, version
        The npm release.

    Returns
    -------
    Path
        The unpacked package folder (the tarball's ``package/``).

    Raises
    ------
    RuntimeError
        If ``npm pack`` fails (no registry, unknown release).
    """
    target = package_dir(cache, package, version)
    if (target / "package.json").is_file():
        return target
    tarballs = cache / "tarballs"
    tarballs.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--pack-destination", str(tarballs),
         "--cache", str(cache / "npm-cache"), "--silent"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"npm pack {package}@{version} failed: {proc.stderr.strip()[-500:]}")
    name = proc.stdout.strip().splitlines()[-1]
    tmp = target.with_name(target.name + ".tmp")
    with tarfile.open(tarballs / name) as tar:
        tar.extractall(tmp, filter="data")
    (tmp / "package").rename(target)
    tmp.rmdir()
    return target


def asset_file(cache: Path, asset: Asset) -> Path:
    """The local file serving ``asset``: fetched if needed; an unminified twin if the release
    ships no ``.min`` file of that name (as ``iso8601-js-period`` 0.2.1 does).

    Raises
    ------
    FileNotFoundError
        If the package has no such file.
    """
    assert asset.package and asset.version and asset.path
    root = fetch_package(cache, asset.package, asset.version)
    for candidate in (asset.path, asset.path.replace(".min.", ".")):
        f = root / candidate
        if f.is_file():
            return f
    raise FileNotFoundError(f"{asset.package}@{asset.version} has no file {asset.path}")


def content_type(path: str) -> str:
    """A Content-Type for a file name."""
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return kind + ("; charset=utf-8" if kind.startswith(("text/", "application/javascript"))
                   else "")


def page_addresses(page: str) -> list[str]:
    """The ``http(s)`` addresses a page's ``<script src>`` and ``<link href>`` name, in order."""
    found = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="(https?://[^"]+)"', page)
    return list(dict.fromkeys(found))


def prefetch(page: str, cache: Path = DEFAULT_CACHE) -> dict[str, str]:
    """Fetch every npm release a page needs; say how each address will be served.

    Parameters
    ----------
    page
        The HTML page.
    cache
        The benchmark cache folder.

    Returns
    -------
    dict
        Address -> ``"npm:<pkg>@<ver>/<path>"``, ``"stub: <reason>"`` or ``"blocked"``.
    """
    plan: dict[str, str] = {}
    for url in page_addresses(page):
        asset = resolve(url)
        if asset is None:
            plan[url] = "blocked"
        elif asset.package is None:
            plan[url] = f"stub: {asset.note}"
        else:
            f = asset_file(cache, asset)
            root = package_dir(cache, asset.package, asset.version or "")
            plan[url] = f"npm:{asset.package}@{asset.version}/{f.relative_to(root)}"
    return plan
