def compare_command() -> None:
    raise NotImplementedError
