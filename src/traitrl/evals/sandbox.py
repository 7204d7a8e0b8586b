"""Run untrusted model-written Python in a restricted subprocess: isolated mode, temp dir, rlimits, no network.

Layers: `python -I` (no user site, no PYTHONPATH), an empty environment, a fresh temp dir as working directory,
rlimits on CPU time, address space, file size and open files, a wall-clock timeout, and a runtime audit hook
(PEP 578) that raises on sockets, subprocesses, forks, exec and ctypes. Audit hooks cannot be removed from Python
code, so `del sys.modules['socket']`-style tricks do not get around them. This stops accidents and casual gaming
by a small model; it is not a security boundary against a determined attacker (no namespaces: `unshare` is not
available here), so run it on machines you would run the model's code on anyway.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Prepended to the program. Blocked audit events: https://docs.python.org/3/library/audit_events.html
_GUARD = '''\
import sys
def _traitrl_guard(event, args):
    if event.startswith(("socket.", "subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "ctypes.")) \\
            or event in ("os.fork", "os.forkpty", "os.system", "os.kill", "os.killpg", "pty.spawn") \\
            or (event == "import" and args[0] in ("ctypes", "_ctypes", "multiprocessing")):
        raise PermissionError(f"sandbox: {event} is not allowed")
sys.addaudithook(_traitrl_guard)
del _traitrl_guard
'''


@dataclass(frozen=True)
class SandboxResult:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def _limit_resources(cpu_s: int, memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def run_python(code: str, timeout_s: float = 5.0, memory_mb: int = 512, max_output_chars: int = 4000) -> SandboxResult:
    """Run `code` as a script in the sandbox; exit code 0 means it ran through (e.g. all its asserts passed)."""
    cpu_s = max(1, int(timeout_s) + 1)
    with tempfile.TemporaryDirectory(prefix="traitrl_sandbox_") as tmp:
        script = Path(tmp) / "program.py"
        script.write_text(_GUARD + "\n" + code, encoding="utf-8")
        # Output goes to files, not pipes: RLIMIT_FSIZE then caps it, so a print loop cannot fill our memory.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.run(
                    [sys.executable, "-I", "-S", str(script)], cwd=tmp, env={"PATH": "/usr/bin:/bin"},
                    stdout=out, stderr=err, timeout=timeout_s, stdin=subprocess.DEVNULL,
                    preexec_fn=lambda: _limit_resources(cpu_s, memory_mb),
                )
                returncode, timed_out = proc.returncode, False
            except subprocess.TimeoutExpired:
                returncode, timed_out = -9, True
            return SandboxResult(returncode, _head(out, max_output_chars), _head(err, max_output_chars), timed_out)


def _head(file, max_chars: int) -> str:
    file.seek(0)
    return file.read(max_chars * 4).decode(errors="replace")[:max_chars]
