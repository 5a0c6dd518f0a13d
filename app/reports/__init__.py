"""Mission results: the organisers' figures, by breakdown, as JSON, CSV, XLSX and press text."""
