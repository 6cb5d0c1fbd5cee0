"""The benchmark scenario names, in run order (light to import: ``kexie --help`` lists them)."""

SCENARIOS = (
    "merge-typical",
    "merge-stress",
    "export",
    "inspect",
    "save",
    "forms",
    "bundles",
    "app",
)
