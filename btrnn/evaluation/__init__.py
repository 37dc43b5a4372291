"""The evaluation: SPEC's protocol (leave-last-out, full ranking), its metrics, rankers and report.

- `protocol`: the held-out data layer, training, ranking, summary, release gate, ablations.
- `rankers`: every recommender's score of every candidate, and the target ranks.
- `metrics`: target ranks, HR/NDCG/MRR, the Wilcoxon test, the release gate.
- `report`: the self-contained HTML report.
"""
