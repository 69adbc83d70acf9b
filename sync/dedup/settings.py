"""Settings of a dedup run: thresholds as probabilities, household context, sizes."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Progress = Callable[[str, float], None]  # (stage, fraction done 0..1)


@dataclass
class Settings:
    """Thresholds (as match probabilities) and sizes of a dedup run."""

    link_probability: float = 0.6
    review_probability: float = 0.2
    sure_probability: float = 0.99  # review band: [review_probability, sure_probability)
    household_bonus: float = 6.0
    lonely_penalty: float = 6.0
    window_scale: float = 1.0
    random_pairs: int = 200_000
    seed: int = 0
    ref_year: int | None = None

    @staticmethod
    def weight(probability: float) -> float:
        """Return the match weight (bits) of a probability."""
        return float(np.log2(probability / (1 - probability)))
