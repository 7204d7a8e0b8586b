from traitrl.evals.sandbox import run_python


def test_runs_code_and_reports_assert_failures():
    assert run_python("assert sum([1, 2]) == 3\nprint('ok')").stdout == "ok\n"
    assert not run_python("assert 1 == 2").ok


def test_network_and_processes_are_blocked():
    for code in ("import socket\nsocket.socket()",
                 "import sys\nsys.modules.pop('socket', None)\nimport _socket\n_socket.socket()",
                 "import os\nos.system('true')",
                 "import subprocess\nsubprocess.run(['true'])",
                 "import ctypes"):
        result = run_python(code)
        assert not result.ok
        assert "sandbox:" in result.stderr


def test_timeout_and_memory_limit():
    assert run_python("while True: pass", timeout_s=1).timed_out
    assert "MemoryError" in run_python("x = bytearray(1 << 31)", memory_mb=256).stderr


def test_runs_in_an_empty_temp_dir():
    result = run_python("import os\nprint(os.listdir('.'))")
    assert result.stdout.strip() == "['program.py']"


def test_output_flood_is_capped_by_the_file_size_limit():
    result = run_python("while True:\n    print('x' * 10000)", timeout_s=5)
    assert not result.ok and not result.timed_out  # killed by RLIMIT_FSIZE (SIGXFSZ), long before the timeout
    assert len(result.stdout) == 4000
