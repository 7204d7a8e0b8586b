from traitrl._util.errors import ConfigError, DataError, JudgeError, ModelError, TraitrlError

__all__ = ["ConfigError", "DataError", "JudgeError", "ModelError", "TraitrlError"]
