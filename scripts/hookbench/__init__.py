"""hookbench's Python side: reading a results folder, drawing its charts and writing its report.

The command lines in scripts/ (plot.py, report.py, plot_faults.py, plot_security.py,
plot_micro.py) are thin wrappers over this package; tests import it directly.
"""
