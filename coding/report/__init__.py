"""Reading the store back: tables, evaluation against gold, agreement between
coders, and rendering (Markdown, CSV, JSON)."""
