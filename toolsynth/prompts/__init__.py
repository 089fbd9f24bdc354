"""Every prompt toolsynth sends to a model, as named, versioned templates with their parsers (see README "Prompts").

`toolsynth.prompts.registry` looks them up by id (`get`), replaces one for a process (`override`), and gives the
ids and content hashes a stage records in its manifest (`stage_prompts`) and synthesize in its resume fingerprint.
"""
