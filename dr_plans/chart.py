"""The achieved-recovery-time chart: one bar per completed drill, and the RTO as a dashed line.

Plain numbers for an inline SVG drawn by the template (dr_plans/_recovery_chart.html), so
the page needs no script or chart library and every text goes through the template's escaping.
"""

from dataclasses import dataclass

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 600, 200, 12, 170, 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    passed: bool
    minutes: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    rto_y: float
    rto_minutes: int
    axis_y: int
    left: int
    max_minutes: float
    summary: str


def recovery_chart(drills, rto_minutes: int) -> Chart | None:
    """DRILLS: completed drills, oldest first. None when there is nothing to draw."""
    drills = [d for d in drills if d.recovery_minutes is not None]
    if not drills:
        return None
    top_value = max(rto_minutes, *(d.recovery_minutes for d in drills)) * 1.15
    scale = (BOTTOM - TOP) / top_value
    slot = (WIDTH - LEFT - 10) / len(drills)
    bar_width = min(40.0, slot * 0.6)
    bars = []
    for i, drill in enumerate(drills):
        height = max(drill.recovery_minutes * scale, 1.0)
        x = LEFT + i * slot + (slot - bar_width) / 2
        label = f"{drill.started_at:%Y-%m-%d}: {drill.recovery_minutes:.1f} min, {'pass' if drill.passed else 'fail'}"
        bars.append(Bar(x, BOTTOM - height, bar_width, height, bool(drill.passed), drill.recovery_minutes, label))
    met = sum(1 for d in drills if d.rto_met)
    summary = f"Achieved recovery time of {len(drills)} drills against an RTO of {rto_minutes} min: {met} within it."
    return Chart(WIDTH, HEIGHT, bars, BOTTOM - rto_minutes * scale, rto_minutes, BOTTOM, LEFT, top_value, summary)
