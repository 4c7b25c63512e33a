# Runtime shared by every hfpl-mm config: mmseg's runtime plus the plugin's
# modules (the one place that carries custom_imports).
_base_ = ['mmseg::_base_/default_runtime.py']
custom_imports = dict(imports=['hfpl_mm'], allow_failed_imports=False)
log_processor = dict(by_epoch=True)
# pretrained weights named in the model that cannot be loaded stop
# tools/train.py with an error; True trains those parts from random init
allow_missing_pretrained = False

# Registers hfpl-mm's modules when this config is loaded, so that a config
# whose own custom_imports replaces the list above (mmengine replaces lists
# when it merges a config with its bases) still builds under any script,
# `mim train mmseg` included. mmengine keeps modules out of the config's
# fields; list 'hfpl_mm' in your custom_imports anyway (see
# docs/add_hfpl_to_your_method.md), so that a dumped config, which has no
# _base_, imports it too.
import hfpl_mm  # noqa: E402,F401
