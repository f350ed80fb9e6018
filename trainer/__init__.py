"""trainer: a conversational script-training simulator for debt-collection call agents."""

__version__ = "0.1.0"
