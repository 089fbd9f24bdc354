"""Tool catalogs: the normalized tool model, loaders for real source formats, and format detection."""

from toolsynth.catalog.model import FieldView, Provenance, ReturnField, Returns, Tool

__all__ = ["FieldView", "Provenance", "ReturnField", "Returns", "Tool"]
