"""The latency budget chart: for a target on the mean latency, the longest swept poll interval
that meets it and what that interval costs in requests per event, against push. Steps, not
curves: only the swept intervals are known.
"""

import numpy as np

from ..figures import bottom_legend, finish, new_figure, no_data_figure, plain_log, titled
from ..fmt import fmt_number
from ..series import aggregate, medians, mode_name, reference_pull
from ..style import marker_style, variant
from .overlap import nest_coinciding, nested_sentence


def budget_steps(levels, costs, x_max):
    """Step line for 'the largest interval whose latency meets the target': levels are the
    latencies L_i (ascending), costs what each costs; returns (x, y) for drawstyle steps-post."""
    x = list(levels) + [x_max]
    y = list(costs) + [costs[-1]]
    return x, y


def median_latency_ms(s):
    """A series' mean latency over all its points (median), in ms, or None."""
    a = aggregate(s.runs(), "latency_mean_us")
    return a.median / 1000 if a else None


class Budget:
    """The series the chart draws and the latency each meets. The reference pull mode is drawn in
    full; every other pull mode (and stack) as its own steps at the middle rate; every push mode
    as the latency it meets and what it costs."""

    def __init__(self, data, pull_all):
        self.data = data
        self.ref = ref = (reference_pull(pull_all) or pull_all)[0]
        self.base = base = data.push_baseline(ref)
        groups = {}
        for s in pull_all:
            if s.matches(ref):
                groups.setdefault((s.mode, s.stack, s.tuning), []).append(s)
        self.pull = sorted(groups.pop((ref.mode, ref.stack, ref.tuning)),
                           key=lambda s: s.interval_ms)
        self.others = [sorted(g, key=lambda s: s.interval_ms) for g in groups.values()]
        self.push = [s for s in data.series
                     if not s.pull and s.matches(ref) and s.agg("latency_mean_us")]
        self.push.sort(key=lambda s: s is not base)  # the baseline first: it is annotated
        rates = sorted({r for s in self.pull for r in s.rates})
        self.shown_rates = sorted({rates[0], rates[len(rates) // 2], rates[-1]})
        self.middle = rates[len(rates) // 2]
        # Measured: each interval's mean latency is the median over its points (it hardly
        # depends on the rate); the model's is read from model.csv at the same rates.
        self.measured_l = [median_latency_ms(s) for s in self.pull]
        self.model_l = []
        for s in self.pull:
            c = data.curve(s)
            self.model_l.append(None if c is None else float(
                np.median([c.at("latency_mean_us", r) for r in s.rates])) / 1000)
        self.push_l = {id(s): median_latency_ms(s) for s in self.push}
        self.other_l = [[median_latency_ms(s) for s in g] for g in self.others]
        all_l = [v for v in self.measured_l + self.model_l + list(self.push_l.values())
                 + sum(self.other_l, []) if v]
        self.x_max = max(all_l) * 4
        self.order = sorted(range(len(self.pull)), key=lambda i: self.measured_l[i])
        self.have_model = all(v is not None for v in self.model_l)

    def model_order(self):
        return sorted(range(len(self.pull)), key=lambda i: self.model_l[i])

    def draw_reference_intervals(self, ax_t):
        pull, order = self.pull, self.order
        x, y = budget_steps([self.measured_l[i] for i in order],
                            [pull[i].interval_ms for i in order], self.x_max)
        ax_t.plot(x, y, drawstyle="steps-post", color="0.15", linewidth=2, marker="o",
                  markevery=list(range(len(order))),
                  label=f"{mode_name(self.ref)}, measured: longest T that meets L",
                  gid="budget:measured")
        for i in order:
            ax_t.annotate(f"T = {fmt_number(pull[i].interval_ms)} ms", (self.measured_l[i],
                          pull[i].interval_ms), xytext=(4, 6), textcoords="offset points",
                          fontsize=10)
        if self.have_model:
            mo = self.model_order()
            x, y = budget_steps([self.model_l[i] for i in mo], [pull[i].interval_ms for i in mo],
                                self.x_max)
            ax_t.plot(x, y, drawstyle="steps-post", color="0.45", linestyle="--", linewidth=1.6,
                      label="the model's claim (model.csv)", gid="budget:model")

    def draw_other_pull(self, ax_t, ax_c):
        data, middle = self.data, self.middle
        for g, levels in zip(self.others, self.other_l):
            name = mode_name(g[0])
            style = dict(color=data.colour(g[0]), linestyle=data.linestyle(g[0]), linewidth=1.8,
                         marker=data.marker(g[0]), **data.marker_kw(g[0]))
            o = sorted(range(len(g)), key=lambda i: levels[i])
            x, y = budget_steps([levels[i] for i in o], [g[i].interval_ms for i in o],
                                self.x_max)
            ax_t.plot(x, y, drawstyle="steps-post", markevery=list(range(len(o))),
                      label=f"{name}, measured", gid=f"budget:measured:{name}", **style)
            cost = [medians(g[i], "requests_per_event").get(middle) for i in o]
            known = [(levels[i], c) for i, c in zip(o, cost) if c]
            if known:
                x, y = budget_steps([k[0] for k in known], [k[1] for k in known], self.x_max)
                ax_c.plot(x, y, drawstyle="steps-post", markevery=list(range(len(known))),
                          label=f"{name}, measured, λ = {fmt_number(middle)}/s",
                          gid=f"budget:cost:measured:{name}", **style)

    def draw_push_levels(self, axes, ax_t):
        data, base, push_l = self.data, self.base, self.push_l
        for s in self.push:
            gid = "budget:push_latency" if s is base else f"budget:push_latency:{s.label()}"
            for ax in axes:
                ax.axvline(push_l[id(s)], color=data.colour(s), linestyle=":", linewidth=1.6,
                           gid=gid)
        if base is not None and push_l.get(id(base)):
            ax_t.annotate(f"{base.label()} meets any target\nabove "
                          f"{fmt_number(push_l[id(base)])} ms", (push_l[id(base)], 0.02),
                          xycoords=("data", "axes fraction"), xytext=(4, 4),
                          textcoords="offset points", fontsize=10, color=data.colour(base))

    def draw_reference_costs(self, ax_c):
        """What the reference mode's intervals cost at the shown rates: the mode's colour, a
        line style and marker fill per rate."""
        colour = self.data.palette.colour(self.ref.mode)
        pull, order, shown = self.pull, self.order, self.shown_rates
        for j, rate in enumerate(shown):
            v = variant(j)
            cost = [medians(pull[i], "requests_per_event").get(rate) for i in order]
            known = [(self.measured_l[i], c) for i, c in zip(order, cost) if c]
            if known:
                x, y = budget_steps([k[0] for k in known], [k[1] for k in known], self.x_max)
                ax_c.plot(x, y, drawstyle="steps-post", color=colour, linewidth=2, marker="o",
                          linestyle=v["linestyle"], **marker_style(colour, v["fillstyle"]),
                          markevery=list(range(len(known))),
                          label=f"{self.ref.mode}, measured, λ = {fmt_number(rate)}/s",
                          gid=f"budget:cost:measured:{fmt_number(rate)}")
            if self.have_model:
                mo = self.model_order()
                mcost = [self.data.curve(pull[i]).at("requests_per_event", rate) for i in mo]
                x, y = budget_steps([self.model_l[i] for i in mo], mcost, self.x_max)
                ax_c.plot(x, y, drawstyle="steps-post", color=colour, linestyle="--",
                          linewidth=1.4, alpha=0.8, gid=f"budget:cost:model:{fmt_number(rate)}")

    def draw_push_costs(self, ax_c):
        """A flat line per push mode from the latency it meets on; returns the sentences."""
        said = []
        for s in self.push:
            costs = [v for v in medians(s, "requests_per_event").values() if v > 0]
            cost = float(np.median(costs)) if costs else None
            if not cost:
                continue
            ax_c.plot([self.push_l[id(s)], self.x_max], [cost, cost], color=self.data.colour(s),
                      linestyle=self.data.linestyle(s), linewidth=2.5,
                      label=f"{s.label()}, measured (median over rates)",
                      gid="budget:cost:push" if s is self.base else f"budget:cost:push:{s.label()}")
            said.append(f"{s.label()} met any target above {fmt_number(self.push_l[id(s)])} ms "
                        f"at {fmt_number(cost)} requests per event")
        return said

    def caption(self, push_said):
        ref, pull, shown = self.ref, self.pull, self.shown_rates
        caption = ["For a target on the mean latency (x), left: the longest swept poll interval "
                   "whose mean latency meets it; right: the requests per delivered event that "
                   f"interval costs at λ = {', '.join(fmt_number(r) for r in shown)} "
                   f"events/s ({ref.mode}), against push."]
        tight = self.order[0]
        polling = "polling" if ref.mode == self.data.modes.pull_reference else ref.mode
        sentence = (f"Measured: the tightest target {polling} met here is "
                    f"{fmt_number(self.measured_l[tight])} ms, with T = "
                    f"{fmt_number(pull[tight].interval_ms)} ms")
        c0 = medians(pull[tight], "requests_per_event").get(shown[0])
        if c0:
            sentence += (f", costing {fmt_number(c0)} requests per event at "
                         f"λ = {fmt_number(shown[0])}/s")
        caption.append(sentence + ".")
        for g, levels in zip(self.others, self.other_l):
            i = min(range(len(g)), key=lambda k: levels[k])
            caption.append(f"{g[i].label()} met {fmt_number(levels[i])} ms at best.")
        if push_said:
            caption.append("; ".join(push_said) + " (medians).")
        if self.have_model:
            caption.append("Dashed steps are the model's claim from model.csv at the same "
                           "intervals.")
        else:
            caption.append(self.data.model_note()
                           or "No model line: a poll series is not in model.csv.")
        return caption


def chart_latency_budget(data, title):
    """For a mean-latency target L: the longest swept poll interval whose mean latency meets it
    (left) and the requests per event that interval costs at a few event rates, against push
    (right)."""
    pull_all = [s for s in data.series if s.pull and s.agg("latency_mean_us")]
    if not pull_all:
        return finish(no_data_figure(title, "needs poll runs with a mean latency"),
                      "No poll runs: no latency budget to show.")
    b = Budget(data, pull_all)
    fig, axes, leg = new_figure(2)
    ax_t, ax_c = axes
    b.draw_reference_intervals(ax_t)
    b.draw_other_pull(ax_t, ax_c)
    b.draw_push_levels(axes, ax_t)
    plain_log(ax_t)
    ax_t.set_xlabel("mean latency target L (ms)")
    ax_t.set_ylabel("poll interval T that meets it (ms)")
    ax_t.set_title("poll interval")
    b.draw_reference_costs(ax_c)
    push_said = b.draw_push_costs(ax_c)
    plain_log(ax_c)
    ax_c.set_xlabel("mean latency target L (ms)")
    ax_c.set_ylabel("requests per delivered event")
    ax_c.set_title("what that interval costs")
    titled(fig, title, "steps: only the swept intervals are known; dashed: the model's claim")
    bottom_legend(leg, axes)
    # Push modes that cost the same (one request per event) draw the same flat line.
    measured = [(a.get_label(), [a]) for a in ax_c.lines
                if (a.get_gid() or "").startswith("budget:cost:")
                and not (a.get_gid() or "").startswith("budget:cost:model")]
    nested = nested_sentence(nest_coinciding(ax_c, measured))
    return finish(fig, b.caption(push_said) + [nested])
