def run_command() -> None:
    raise NotImplementedError


def sweep_command() -> None:
    raise NotImplementedError
