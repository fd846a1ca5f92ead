"""Synthetic world generator: a live-stream interaction platform with honest users and fraud rings.

    from scripts.simulate import SimulationOptions, generate_world
    report = generate_world(Path("world"), SimulationOptions(proofs=10_000))

See README.md in this folder for what each fraud pattern looks like.
"""

from .generate import generate_world
from .options import PATTERNS, SimulationOptions

__all__ = ["PATTERNS", "SimulationOptions", "generate_world"]
