"""Terminal rendering (rich) and prompts (questionary), with a plain mode for pipes."""
