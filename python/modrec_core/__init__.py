"""gr-modrec's pure-Python core: synthesis, data sets and loaders, the model zoo, training and
evaluation, model bundles and the streaming inference engine. Imports without GNU Radio."""
__version__ = "0.1.0"
