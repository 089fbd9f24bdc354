"""build-graph: embed tool fields, search neighbours with FAISS, and derive ToolFlow/MAGNET edges."""
