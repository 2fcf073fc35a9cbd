"""The one place the version lives; setup.py and ``fastquant.__version__`` read it."""

__version__ = "0.1.0"
