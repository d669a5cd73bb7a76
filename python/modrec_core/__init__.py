"""gr-modrec's pure-Python core: synthesis, data sets and loaders. Imports without GNU Radio."""
__version__ = "0.1.0"
