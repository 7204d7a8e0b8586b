import typer
from rich.console import Console

from traitrl.models import store

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("prepare")
def prepare(name: str = typer.Argument(store.DEFAULT_MODEL, help="Built-in model name."),
            force: bool = typer.Option(False, help="Rebuild even if a verified copy exists.")) -> None:
    """Build the cached safetensors copy of a built-in model (idempotent, checksum-verified)."""
    with console.status(f"preparing {name} in {store.model_cache_dir()} ..."):
        folder = store.prepare_builtin(name, force=force)
    console.print(f"{name}: {folder}")


@app.command("list")
def list_models() -> None:
    """Built-in model names and where their prepared copies live."""
    for name in store.BUILTIN_MODELS:
        console.print(f"{name}\t{store.model_cache_dir() / name}")


@app.command("tiny")
def tiny(out: str = typer.Argument(..., help="Folder for the random-init model."),
         hidden_size: int = 64, num_layers: int = 2, seed: int = 0) -> None:
    """Save a tiny random-init model of the embedded architecture, with the real tokenizer (for tests)."""
    console.print(str(store.make_tiny_model(out, hidden_size=hidden_size, num_layers=num_layers, seed=seed)))
