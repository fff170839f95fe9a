"""A Django project whose views call an LLM through LangChain, captured by LLM Sentinel."""
