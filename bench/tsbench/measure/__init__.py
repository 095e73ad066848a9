"""One module per family of measurements. Each takes the Rig (and the relay measured through) and returns its
raw samples, in the shape samples.json stores and results.py summarises."""
