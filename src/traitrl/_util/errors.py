"""User-facing errors. The CLI prints these as one line; anything else is a bug and keeps its traceback."""


class TraitrlError(Exception):
    """Base for errors caused by user input (configs, data files, models, judges)."""


class ConfigError(TraitrlError):
    """A config file or flag is invalid; the message names the key."""


class DataError(TraitrlError):
    """A data file is missing or malformed; the message names file:line."""


class ModelError(TraitrlError):
    """A model name cannot be resolved or loaded."""


class JudgeError(TraitrlError):
    """A judge endpoint failed after retries, or replied with something unparsable."""
