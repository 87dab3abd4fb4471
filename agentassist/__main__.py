"""Allow ``python -m agentassist``."""

from __future__ import annotations

from agentassist.cli import main

if __name__ == "__main__":
    main()
