"""Trained model artefacts of agentassist (installed as ``agentassist_models``)."""
