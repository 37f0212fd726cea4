"""The charts, one module per family: the sweep's (data, drawing, labels, rate, budget,
distribution, timeline, rtt; the list in sweep), the fault runs', the security runs' and the
microbenchmarks'."""
