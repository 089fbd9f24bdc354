"""train: SFT and MAGNET's multi-turn DPO (mDPO) on toolsynth's exports, and the downstream BFCL evaluation.

Optional extra `train` (trl, peft, datasets). Nothing here is imported at CLI start-up; the heavy libraries load
inside the functions that need them.
"""
