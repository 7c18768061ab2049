"""Batch: the plan for every force area, locally or on a Dask cluster.

Owns running many areas with isolation and resume (:mod:`.runner`), the national summary and
index, and writing a starting config for each of the 43 force areas (:mod:`.forces`).
"""
