"""bench/scaling.py's chart: one panel per path, and a flat cost draws a flat line."""

from defusedxml import ElementTree as ET

from bench._scaling_chart import write_svg

SVG = "{http://www.w3.org/2000/svg}"


def summary(values):
    return {"unit": "unit", "sizes": [10, 100, 1000], "ms_per_unit": values, "growth_ratio": max(values) / values[0]}


def test_it_draws_one_line_per_path_flat_when_the_cost_is_flat(tmp_path):
    target = tmp_path / "docs" / "scaling.svg"
    write_svg(target, {"flat": summary([2.0, 2.0, 2.0]), "growing": summary([1.0, 2.0, 4.0])}, 1.5)

    root = ET.parse(target).getroot()
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2
    flat_heights = {point.split(",")[1] for point in lines[0].get("points").split()}
    assert len(flat_heights) == 1
    growing_heights = [float(point.split(",")[1]) for point in lines[1].get("points").split()]
    assert growing_heights == sorted(growing_heights, reverse=True)  # SVG's y grows downwards
    titles = [text.text for text in root.findall(f"{SVG}text")]
    assert "growing: ms per unit (growth 4.00x)" in titles


def test_the_summary_judges_time_by_its_growth_and_memory_by_its_own_figures():
    from bench.scaling import summarise

    rows = [
        {"size": size, "units": size, "seconds": seconds, "cpu_s": seconds / 2, "mem_growth_mb": memory}
        for size, seconds, memory in [(1000, 1.0, 10.0), (10000, 12.0, 12.0), (50000, 55.0, 40.0)]
    ]
    summary = summarise("fanout", rows)
    assert summary["ms_per_unit"] == [1.0, 1.2, 1.1]
    assert summary["growth_ratio"] == 1.2 and summary["goal_met"]
    assert summary["mem_growth_mb"] == [10.0, 12.0, 40.0] and not summary["memory_bounded"]  # 40 > 2 x 10 + slack
