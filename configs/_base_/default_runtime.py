# Runtime shared by every hfpl-mm config: mmseg's runtime plus the plugin's
# modules (the one place that carries custom_imports).
_base_ = ['mmseg::_base_/default_runtime.py']
custom_imports = dict(imports=['hfpl_mm'], allow_failed_imports=False)
log_processor = dict(by_epoch=True)
# pretrained weights named in the model that cannot be loaded stop
# tools/train.py with an error; True trains those parts from random init
allow_missing_pretrained = False
