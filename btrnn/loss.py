"""Which training loss a run uses: full softmax over I', or sampled softmax with log-Q correction.

Full softmax costs O(|I'|) per example (every output column's logit, gradient and Adam update);
sampled softmax costs O(negatives), so it is the choice for catalogues of hundreds of thousands.
Either way the model is the same Dense(|I'|) network: only training differs. No TensorFlow here,
so the CLI can resolve and describe the choice without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass

LOSSES = ("full", "sampled", "auto")
# `auto` samples above this |I'|. At 600 units a Dense layer over 50,000 labels already does 60%
# of the two LSTMs' multiply-adds per example, plus a dense Adam update of 30M weights per batch.
SAMPLED_ABOVE = 50_000


@dataclass(frozen=True)
class LossSettings:
    """The resolved loss of one training run; recorded in the model's metadata."""

    loss: str  # "full" or "sampled"
    negatives: int = 0  # sampled: negatives shared by the batch, drawn with replacement
    sampler_alpha: float = 0.0  # sampled: q(label) proportional to (training count + 1) ** alpha

    def as_metadata(self) -> dict[str, object]:
        if self.loss == "full":
            return {"loss": "full", "optimizer": "Adam"}
        return {
            "loss": "sampled",
            "negatives": self.negatives,
            "sampler": f"(training label count + 1) ** {self.sampler_alpha}, with replacement",
            "sampler_alpha": self.sampler_alpha,
            "log_q_correction": True,
            "accidental_hits_removed": True,
            "optimizer": "Adam on the LSTMs; lazy Adam on the output rows a batch used",
        }


def resolve_loss(
    loss: str, n_labels: int, negatives: int, sampler_alpha: float, sampled_above: int
) -> LossSettings:
    """`auto` becomes `sampled` when |I'| > sampled_above, else `full`."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if loss == "auto":
        loss = "sampled" if n_labels > sampled_above else "full"
    if loss == "full":
        return LossSettings("full")
    return LossSettings("sampled", negatives, sampler_alpha)
