"""The evaluation: SPEC's protocol (leave-last-out, full ranking), its metrics and report.

- `protocol`: the held-out data layer, training, the rank tables (dbt models in
  models/evaluation/, computed by each recommender's own scoring code), summary, release gate,
  ablations.
- `metrics`: target ranks, HR/NDCG/MRR, the Wilcoxon test, the release gate.
- `report`: the self-contained HTML report.
"""
