"""The benchmark harness behind bench/run; bench/README.md describes its modules and samples.json."""
