"""The charts of a `hookbench sweep` results folder, in the order the report shows them, with the
model drawn over the measurements; make_charts writes each as PNG and SVG and their captions.
"""

import os

from ..figures import Chart, caption_of, has_data, remove_chart, save, write_captions
from ..style import plt
from . import budget, distribution, fanout, rate, rtt, timeline
from .data import Data

CHARTS = (
    Chart("latency_vs_rate", "Delivery latency vs event rate", rate.chart_latency),
    Chart("requests_per_s", "Requests per second vs event rate", rate.chart_requests_per_s),
    Chart("requests_per_event", "Requests per delivered event vs event rate",
          rate.chart_requests),
    Chart("latency_budget", "What a latency target costs: poll interval and requests per event",
          budget.chart_latency_budget),
    Chart("cpu_cores", "CPU used (cores) vs event rate, with the idle baseline",
          rate.chart_cpu_cores),
    Chart("cpu_per_event", "CPU time per delivered event, net of the idle baseline",
          rate.chart_cpu),
    Chart("bytes_per_event", "Bytes on the wire per delivered event vs event rate",
          rate.chart_bytes),
    Chart("empty_poll_fraction", "Empty polls vs events per poll interval (λT)",
          distribution.chart_empty),
    Chart("latency_cdf", "Latency distribution at one event rate", distribution.chart_cdf),
    Chart("timeline", "Where the latency comes from: a recorded timeline",
          timeline.chart_timeline),
    Chart("rtt_ratio", "Push/poll latency ratio vs round trip (emulated link)",
          rtt.chart_rtt_ratio),
    Chart("fanout", "Fan-out: latency, producer CPU and memory vs subscribers N",
          fanout.chart_fanout),
)
TITLES = dict(CHARTS)
BY_NAME = {c.name: c for c in CHARTS}


def build_chart(data, name, cdf_rate=None):
    """One chart by name, as a figure with its caption (caption_of); figures are drawn and saved
    one at a time to bound memory. The CDF is drawn at cdf_rate (the nearest measured rate)."""
    chart = BY_NAME[name]
    if chart.draw is distribution.chart_cdf:
        return chart.draw(data, chart.title, *distribution.choose_cdf_rate(data, cdf_rate))
    return chart.draw(data, chart.title)


def make_charts(folder, output=None, cdf_rate=None, log=None):
    """Writes every chart that has data and OUTPUT/captions.json (the charts written, each with
    its caption); a chart without data is not written, and a stale file of it is removed.
    Returns {name: png path}. Raises ResultsError on bad input."""
    data = Data(folder)
    output = output or os.path.join(folder, "charts")
    _, note = distribution.choose_cdf_rate(data, cdf_rate)
    written, captions = {}, {}
    for name, _ in CHARTS:
        fig = build_chart(data, name, cdf_rate)
        if not has_data(fig):
            plt.close(fig)
            remove_chart(output, name)
            if log:
                log(f"plot.py: note: no {name} chart: {fig.no_data}")
            continue
        captions[name] = caption_of(fig)
        written[name] = save(fig, output, name)
        if log:
            detail = f": {note}" if name == "latency_cdf" else ""
            log(f"plot.py: wrote {written[name]}{detail}")
    write_captions(output, captions)
    return written
