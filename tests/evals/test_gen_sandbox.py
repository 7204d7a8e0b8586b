import os
import socket
import threading
import time
from pathlib import Path

import pytest

from traitrl.evals import sandbox
from traitrl.evals.sandbox import SandboxUnavailable, run_python


def _available() -> bool:
    try:
        sandbox.check_sandbox()
        return True
    except SandboxUnavailable:
        return False


needs_sandbox = pytest.mark.skipif(not _available(), reason="bubblewrap sandbox unavailable on this machine")


@pytest.fixture
def os_layer_only(monkeypatch):
    """Remove the audit-hook layer: what follows must be stopped by the OS isolation alone."""
    monkeypatch.setattr(sandbox, "_GUARD", "")


@needs_sandbox
def test_runs_code_and_reports_assert_failures():
    assert run_python("assert sum([1, 2]) == 3\nprint('ok')").stdout == "ok\n"
    assert not run_python("assert 1 == 2").ok


@needs_sandbox
def test_audit_hook_gives_a_readable_error():
    for code in ("import socket\nsocket.socket()", "import os\nos.system('true')", "import ctypes"):
        result = run_python(code)
        assert not result.ok and "sandbox:" in result.stderr


@needs_sandbox
def test_fork_exec_past_the_audit_hook_starts_no_process(tmp_path):
    # Case 1a: subprocess reaches _posixsubprocess.fork_exec, which raises no audit event once sys.audit is silenced.
    marker = tmp_path / "escaped"
    child = f"open({str(marker)!r}, 'w').write('x')"
    code = f"import sys, subprocess\nsys.audit = lambda *a, **k: None\nsubprocess.run([sys.executable, '-c', {child!r}])\nprint('ran')"
    result = run_python(code)
    assert not result.ok and "ran" not in result.stdout
    assert "Operation not permitted" in result.stderr
    assert not marker.exists()


@needs_sandbox
def test_fork_bomb_cannot_fork(os_layer_only):
    start = time.monotonic()
    result = run_python("import os\nwhile True:\n    os.fork()", timeout_s=5)
    assert not result.ok and not result.timed_out and "Operation not permitted" in result.stderr
    assert time.monotonic() - start < 5


@needs_sandbox
def test_files_outside_the_workdir_are_out_of_reach(tmp_path, os_layer_only):
    # Case 1b: the user's files can be neither read nor written.
    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret-value")
    code = f"""
import os
for path in ({str(secret)!r}, '/etc/passwd', {str(Path.home() / '.bashrc')!r}):
    try:
        print(open(path).read())
    except OSError as e:
        print('blocked', type(e).__name__)
for path in ({str(tmp_path / 'new.txt')!r}, '/usr/lib/evil', '/evil'):
    try:
        open(path, 'w').write('x')
        print('wrote', path)
    except OSError as e:
        print('blocked', type(e).__name__)
print(sorted(os.listdir('/')))
"""
    result = run_python(code)
    assert result.ok, result.stderr
    assert "top-secret-value" not in result.stdout and "root:" not in result.stdout
    assert "wrote" not in result.stdout and result.stdout.count("blocked") == 6
    assert not (tmp_path / "new.txt").exists()
    assert "home" not in result.stdout and "etc" not in result.stdout and "tmp" not in result.stdout


@needs_sandbox
def test_parent_environment_is_out_of_reach(monkeypatch, os_layer_only):
    # Case 1c: /proc/<parent pid>/environ held API keys.
    monkeypatch.setenv("TRAITRL_TEST_API_KEY", "sk-leaked-123")
    code = f"""
import os
print(dict(os.environ))
for pid in ['{os.getpid()}', str(os.getppid())] + [p for p in os.listdir('/proc') if p.isdigit()]:
    try:
        print(open(f'/proc/{{pid}}/environ', 'rb').read())
    except OSError as e:
        print('blocked', pid, type(e).__name__)
"""
    result = run_python(code)
    assert result.ok, result.stderr
    assert "sk-leaked-123" not in result.stdout and "TRAITRL_TEST_API_KEY" not in result.stdout


@needs_sandbox
def test_network_cannot_reach_a_local_listener(os_layer_only):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(3)
    port = server.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: _accept(server, accepted))
    thread.start()
    code = f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=2)\ns.sendall(b'hi')\nprint('sent')"
    result = run_python(code)
    thread.join()
    server.close()
    assert not result.ok and "sent" not in result.stdout
    assert accepted == []


def _accept(server, accepted):
    try:
        accepted.append(server.accept())
    except OSError:
        pass


@needs_sandbox
def test_memory_limit():
    assert "MemoryError" in run_python("x = bytearray(1 << 31)", memory_mb=256).stderr


@needs_sandbox
def test_timeout_leaves_no_process_behind(os_layer_only):
    # Case 1a: the escaped shell kept running after the timeout. Threads and a fork attempt, then spin forever.
    tag = f"trlorph{os.getpid() % 100000}"
    code = f"""
import os, threading
open('/proc/self/comm', 'w').write({tag!r})
for _ in range(4):
    threading.Thread(target=lambda: [None for _ in iter(int, 1)], daemon=True).start()
try:
    if os.fork() == 0:
        os.setsid()
except OSError:
    pass
while True:
    pass
"""
    start = time.monotonic()
    result = run_python(code, timeout_s=1)
    assert result.timed_out and time.monotonic() - start < 5
    time.sleep(0.2)
    assert tag not in _host_process_names()


def _host_process_names() -> set[str]:
    names = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            names.add(Path(f"/proc/{pid}/comm").read_text().strip())
        except OSError:
            pass
    return names


@needs_sandbox
def test_runs_in_an_empty_private_workdir():
    result = run_python("import os\nprint(os.listdir('.'))\nopen('scratch.txt', 'w').write('ok')")
    assert result.ok and result.stdout.strip() == "['program.py']"


@needs_sandbox
def test_output_flood_is_capped_by_the_file_size_limit():
    result = run_python("while True:\n    print('x' * 10000)", timeout_s=5)
    assert not result.ok and not result.timed_out  # killed by RLIMIT_FSIZE (SIGXFSZ), long before the timeout
    assert len(result.stdout) == 4000


def test_without_bubblewrap_nothing_runs(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox._probe.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match="bubblewrap"):
            run_python("print('should not run')")
    finally:
        sandbox._probe.cache_clear()


def test_seccomp_filter_refuses_unknown_architectures():
    assert len(sandbox.seccomp_filter("x86_64")) % 8 == 0
    with pytest.raises(SandboxUnavailable, match="riscv64"):
        sandbox.seccomp_filter("riscv64")
