# AffinityNet schedule of the HFPL reference: SGD lr 0.01, poly, wd 5e-4,
# 8 epochs, 10x lr on the new head.
_base_ = ['./poly_8e.py']
optim_wrapper = dict(
    optimizer=dict(lr=0.01),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}))
train_cfg = dict(val_interval=10**9)
# AffinityNet has no validation of its own: the refined labels are evaluated
# with tools/eval_pseudo_labels.py
val_cfg = None
test_cfg = None
