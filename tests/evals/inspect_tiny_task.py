"""A tiny offline Inspect task for the interop tests: three arithmetic questions, Inspect's `includes` scorer."""

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import includes
from inspect_ai.solver import generate


@task
def tiny_arithmetic():
    return Task(dataset=MemoryDataset([Sample(id="a", input="What is 2 + 2? Answer with the number.", target="4"),
                                       Sample(id="b", input="What is 3 + 4? Answer with the number.", target="7"),
                                       Sample(id="c", input="What is 5 + 5? Answer with the number.", target="10")]),
                solver=generate(), scorer=includes(), metadata={"category": "capability"})
