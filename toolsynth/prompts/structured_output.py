"""The gateway's structured-output prompts: the schema stated in the prompt for models that cannot take it as
`response_format`, and the re-ask after an answer failed its schema. Answers are read by `extract_json`."""

from __future__ import annotations

from toolsynth.llm.wire import extract_json
from toolsynth.prompts.base import Prompt

STRUCTURED_ID = "llm.structured"

STRUCTURED = Prompt(
    id=STRUCTURED_ID,
    version=1,
    parts={
        "instructions": "Answer with a single JSON value that conforms to this JSON Schema. Output only the JSON, "
        "no prose and no code fences.\nJSON Schema:\n{schema}",
        "repair": "That answer is not valid: {error}\n"
        "Reply again with only the corrected JSON value, matching the schema exactly.",
    },
    parse=extract_json,
    description="schema instructions (appended to the system message) and the repair turn after a bad answer",
)
