"""Text signals of SPEC §15: segmentation, the per-record term store, topics and category suggestion."""
