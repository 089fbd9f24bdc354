"""Everything toolsynth knows about BFCL (the Berkeley Function-Calling Leaderboard, `bfcl-eval` package).

- `classes.py`: the multi-turn classes, their func-doc files, the test categories (plain tables, no import)
- `descriptions.py`: the class blurb BFCL puts before every tool description
- `package.py`: the installed package's data files, mapping and classes (imports `bfcl_eval` on first use)
- `backend.py`: the executable backend (`kind: bfcl`) running calls on the real classes
- `states.py`: which class a catalog tool belongs to, and the initial states BFCL ships, for plans
- `gold.py`: BFCL's multi-turn ground truth as canonical dialogs, and rule-corrupted copies
- `multi_turn.py`: the multi-turn test entries as an evaluation reads them (tools, call strings)

Nothing is imported here: each user imports the module it needs, and `bfcl_eval` loads only when one needs it.
"""
