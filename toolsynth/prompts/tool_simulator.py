"""The tool agent's prompt (ToolFlow/ToolAlpaca's simulated API): a model plays a tool that has no implementation
here, answering one call with the JSON result the real tool would give (structured output: the tool's return
schema, see `synth.backends.simulated.generation_schema`)."""

from __future__ import annotations

from toolsynth.prompts.base import Prompt

SIMULATE_ID = "synth.tool.simulate"

SYSTEM = """You simulate one tool of a software system. Given a call, return exactly the JSON result the real
tool would return, and nothing else.
- Follow the return schema: its field names and types.
- Be consistent with every earlier result in this session: reuse the same ids, names and values; things created or
  changed earlier exist in their new state.
- Make up plausible, specific values (real-looking names, ids, numbers) where nothing earlier fixes them.
- If the call cannot succeed (e.g. it refers to something that doesn't exist), return the tool's error in the schema's
  shape instead of inventing success."""

SIMULATE = Prompt(
    id=SIMULATE_ID,
    version=1,
    system=SYSTEM,
    parts={
        "tool": "Tool: {name}",
        "does": "What it does: {description}",
        "returns": "What it returns: {description}",
        "schema": "Return schema: {schema}",
        "no_schema": "Return schema: (none given: any JSON result)",
        "history": "Earlier calls and results in this session (oldest first):",
        "earlier_call": "- {name}({arguments}) -> {output}",
        "call": "Now the call: {name}({arguments})",
    },
    description="one call for the simulated tool; the user message is its lines joined by newlines",
)
