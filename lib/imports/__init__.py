"""File imports of SPEC §9: reading, zh/en header and value mapping, validation, error reports."""
