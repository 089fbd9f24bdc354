"""export: training formats (OpenAI fine-tuning, TRL, ShareGPT/LLaMA-Factory, Hermes)."""
