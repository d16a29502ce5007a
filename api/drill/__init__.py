"""``pingzhan drill``'s outer layer: scenario files with line-aware errors, the progress bar, the terminal
summary and the HTML report with plots. The drill itself lives in ``engine.drill``."""
