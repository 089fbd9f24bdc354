"""The one way to call a language model: litellm underneath, with concurrency, retries, cache, structured output and accounting."""
