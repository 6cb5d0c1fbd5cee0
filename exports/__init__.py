"""Excel bundles: export, inspect, import and merge upward, level by level.

See docs/bundle-format.md for the file format and docs/internals.md for the API contract.
Heavy modules are imported on first use so ``import exports`` stays cheap.
"""

from __future__ import annotations

__all__ = ["export_bundle", "import_bundle", "inspect_bundle", "merge_bundles"]


def __getattr__(name: str):
    if name == "export_bundle":
        from exports.export import export_bundle

        return export_bundle
    if name == "inspect_bundle":
        from exports.inspect import inspect_bundle

        return inspect_bundle
    if name == "import_bundle":
        from exports.importer import import_bundle

        return import_bundle
    if name == "merge_bundles":
        from exports.merge import merge_bundles

        return merge_bundles
    raise AttributeError(name)
