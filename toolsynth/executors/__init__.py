"""Where a stage's per-item work runs: in this process (`local`, the default) or on a Ray cluster (`ray`).

A stage hands an executor a feed of items (plans, dialogs) and a sink for finished results; the sink (the driver's
code) alone writes the one journal, so resume and the sorted, byte-identical output do not depend on where the work
ran. `base` holds the interface and the slot loop both executors share, `local` the in-process one, `ray_executor` the
Ray one (ray is an optional extra, imported only when chosen), `config` the recipe/CLI settings.
"""
