"""The KPI dictionary of SPEC §7, one module per area, computed in SQL (GROUP BY in the database)."""
