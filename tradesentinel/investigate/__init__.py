"""The investigation service: plain functions over the stored tables that the API, the UI and the
assistant's tools all call (anomaly queries, one flow's explanation, a corridor's series).

No HTTP, no UI, no model: `tables.TableStore` reads the tables, `query.AnomalyQuery` says what to
list, `anomalies`, `explain` and `corridor` answer.
"""
