"""One module per command (or family of commands); each imports heavy libraries lazily."""
