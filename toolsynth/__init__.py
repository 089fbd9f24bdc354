"""toolsynth: multi-turn function-calling training data from real tool catalogs."""

__version__ = "0.1.0"
