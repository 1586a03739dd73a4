"""The composition root: settings, the `aduan` command line and the wiring of adapters."""
