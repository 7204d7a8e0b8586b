from traitrl.data.tasks import generate_tasks
from traitrl.rewards.tasks import score_task, task_reward


def test_generation_is_deterministic_by_seed():
    assert [t.model_dump() for t in generate_tasks(30, seed=3)] == [t.model_dump() for t in generate_tasks(30, seed=3)]
    assert [t.id for t in generate_tasks(30, seed=3)] == [t.id for t in generate_tasks(30, seed=4)]
    assert generate_tasks(30, seed=3) != generate_tasks(30, seed=4)


def test_every_task_kind_is_checkable_by_its_own_answer():
    for task in generate_tasks(60, seed=1):
        if task.kind == "format":
            continue  # the answer of a format task describes the rule, it is not a reply
        assert score_task(f"The answer is {task.answer}.", task.check) == 1.0, task
        assert score_task("I am not sure.", task.check) == 0.0, task


def test_number_check_takes_the_last_number():
    check = {"type": "number", "value": 150}
    assert score_task("60 km/h for 2.5 hours gives 150", check) == 1.0
    assert score_task("150? No, 160", check) == 0.0
    assert score_task("1,500", {"type": "number", "value": 1500}) == 1.0


def test_format_rules():
    assert score_task("- a\n- b\n- c", {"type": "format", "rule": "bullets", "n": 3}) == 1.0
    assert score_task("- a\n- b", {"type": "format", "rule": "bullets", "n": 3}) == 0.0
    assert score_task("all lower here.", {"type": "format", "rule": "lowercase"}) == 1.0
    assert score_task("Not lower.", {"type": "format", "rule": "lowercase"}) == 0.0
    assert score_task('{"answer": "x"}', {"type": "format", "rule": "json_key", "key": "answer"}) == 1.0
    assert score_task('answer: x', {"type": "format", "rule": "json_key", "key": "answer"}) == 0.0
    assert score_task("ok. Done.", {"type": "format", "rule": "ends_with", "text": "Done."}) == 1.0


def test_task_reward_skips_trait_rows():
    grade = task_reward()
    out = grade(["p", "p"], [[{"role": "assistant", "content": "8"}], "whatever"], source=["task", "trait"],
                check=['{"type": "number", "value": 8}', "{}"])
    assert out == [1.0, None]
    assert grade.__name__ == "task_reward"
