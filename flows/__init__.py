"""newsprep: raw scraped news text in, a clean, deduplicated, versioned Parquet dataset out."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsprep")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
