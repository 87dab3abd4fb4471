"""Packaged rubrics (YAML); ``default.yaml`` is the six-point checklist."""
