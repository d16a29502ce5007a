"""How a reviewed part earns points: the profile's rules for lateness and partial completion."""

from typing import Literal

from pydantic import Field, model_validator

from engine.governance.tasks import Review, Verdict
from engine.model.frozen import Frozen


class LateStep(Frozen):
    """Submitted more than ``after_h`` hours after the due time, a part keeps ``keep`` of its points."""

    after_h: float = Field(ge=0)
    keep: float = Field(ge=0, le=1)


class TaskSettings(Frozen):
    """Street tasks under this profile.

    ``reviewer``: who reviews and scores submitted parts, the street or the community head. ``late``: the
    share of points kept by how late the part was submitted (the last step passed applies; on time keeps
    all). ``partial``: ``proportional`` awards the share done, ``none`` awards nothing for partial work;
    below ``partial_min`` of the work done nothing is awarded either way.
    """

    reviewer: Literal["street", "head"] = "street"
    late: tuple[LateStep, ...] = (
        LateStep(after_h=0, keep=0.8),
        LateStep(after_h=24, keep=0.5),
        LateStep(after_h=72, keep=0),
    )
    partial: Literal["proportional", "none"] = "proportional"
    partial_min: float = Field(default=0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _increasing(self) -> "TaskSettings":
        hours = [step.after_h for step in self.late]
        if hours != sorted(set(hours)):
            raise ValueError(f"late: after_h must increase from step to step, got {hours}")
        keeps = [step.keep for step in self.late]
        # Later must never pay more than earlier.
        if keeps != sorted(keeps, reverse=True):
            raise ValueError(f"late: keep must not grow from step to step, got {keeps}")
        return self


class Award(Frozen):
    completion: float
    keep: float
    awarded: float


def keep_share(settings: TaskSettings, late_h: float) -> float:
    """The share of points kept at ``late_h`` hours late (0: on time or early)."""
    keep = 1.0
    for step in settings.late:
        if late_h > step.after_h:
            keep = step.keep
    return keep


def award(settings: TaskSettings, points: int, review: Review, late_h: float) -> Award:
    """Points for a reviewed part: its points × completion credited × share kept for lateness."""
    completion = 1.0 if review.verdict is Verdict.ACCEPT else (review.completion or 0.0)
    credited = completion
    if review.verdict is Verdict.PARTIAL and settings.partial == "none":
        credited = 0.0
    if completion < settings.partial_min:
        credited = 0.0
    keep = keep_share(settings, late_h)
    return Award(completion=completion, keep=keep, awarded=round(points * credited * keep, 1))
