"""Plain models, rules, errors and ports. Imports no framework."""
