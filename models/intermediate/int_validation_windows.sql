-- The validation window of each user with 3+ purchases (SPEC "Evaluation protocol"): the label is
-- the validation target, the input the (up to) 11 purchases before it, left-padded like
-- int_training_windows. The trainer picks its best epoch on these.
-- With evaluation_holdout the target is the second-to-last purchase, already held out of the
-- histories (so of Word2Vec, I' and every training window). Without it (production training)
-- the target is the user's last purchase; the trainer leaves that window out of training, while
-- Word2Vec and I' still see the item: there validation only picks the epoch.
{{ window_before_purchase(1 if var('evaluation_holdout') else 0) }}
