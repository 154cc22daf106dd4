"""Drivers: ``local`` (embedded llama.cpp), ``openai`` (any OpenAI-compatible API), ``backend_api``."""
