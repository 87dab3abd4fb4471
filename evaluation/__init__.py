"""The evaluation harness: metrics, turn-level evaluation, agreement with humans."""
