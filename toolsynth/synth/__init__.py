"""synthesize: user/assistant/tool agents, tool execution backends, and verification of dialogs."""
