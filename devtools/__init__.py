"""Tools shared by the tests, the benchmarks and scripts/develop (not shipped)."""
