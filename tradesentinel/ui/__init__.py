"""The Gradio UI: one module per tab; calls investigate and assistant, never api (api and ui are siblings)."""
