"""Minimal reproductions of faults of faust-streaming 0.15's consumer, against a real Kafka (see README.md here).

Scripts, not tests: none is named test_*.py, so pytest does not collect them. Run one with
`python -m tests.faust_faults.<name> --help`.
"""
