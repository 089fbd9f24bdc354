"""make-preferences: chosen/rejected action pairs for multi-turn DPO."""
