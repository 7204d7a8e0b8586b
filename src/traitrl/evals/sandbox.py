"""Run untrusted model-written Python inside OS isolation (bubblewrap namespaces + seccomp + rlimits).

The program runs under `bwrap` in new user, mount, PID, network, IPC, UTS and cgroup namespaces:
- filesystem: a fresh root holding only read-only binds of /usr/lib(64) and the Python install, a new /proc (it
  shows the sandbox's own processes only, so the parent's /proc/<pid>/environ is out of reach), a minimal /dev,
  and a private size-capped tmpfs working directory holding a copy of the program;
- network: an empty network namespace, so even 127.0.0.1 listeners of the host cannot be reached;
- processes: a seccomp filter makes fork, vfork and non-thread clone fail with EPERM, so no subprocess, shell or
  fork bomb can start (threads stay allowed); `--die-with-parent` plus the PID namespace take every process down
  when we kill the process group on timeout;
- an empty environment, `python -I -S`, and rlimits on CPU time, address space, file size and open files.
A PEP 578 audit hook stays as a first layer that turns the common attempts into a readable "sandbox:" error.
Without bubblewrap (or where it cannot create namespaces) nothing runs: `SandboxUnavailable` is raised, and the
benchmarks that need the sandbox are reported as not run. Install it with `apt-get install bubblewrap`.
"""

from __future__ import annotations

import functools
import os
import platform
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from traitrl._util.errors import TraitrlError

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
WORKDIR = "/sandbox"
TMPFS_BYTES = 16 << 20


class SandboxUnavailable(TraitrlError):
    """No working OS isolation on this machine, so model-written code is not run."""


@dataclass(frozen=True)
class SandboxResult:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


# (AUDIT_ARCH, syscalls that create a process, clone, clone3) per machine; seccomp numbers differ by architecture.
_ARCH = {"x86_64": (0xC000003E, (57, 58), 56, 435), "aarch64": (0xC00000B7, (), 220, 435)}
_CLONE_THREAD = 0x00010000
_RET_ALLOW, _RET_KILL, _EPERM, _ENOSYS = 0x7FFF0000, 0x80000000, 0x00050000 | 1, 0x00050000 | 38


def seccomp_filter(machine: str | None = None) -> bytes:
    """A classic-BPF seccomp program: no new processes (fork/vfork/clone without CLONE_THREAD), threads allowed."""
    machine = machine or platform.machine()
    if machine not in _ARCH:
        raise SandboxUnavailable(f"the code sandbox has no seccomp filter for {machine!r} (x86_64, aarch64 only); "
                                 "model-written code is not run")
    audit_arch, forks, clone, clone3 = _ARCH[machine]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, audit_arch), (ret, 0, 0, _RET_KILL), (ld, 0, 0, 0),
            (jge, 0, 1, 0x40000000), (ret, 0, 0, _RET_KILL)]  # x32 numbers would dodge the checks below
    for nr in forks:
        prog += [(jeq, 0, 1, nr), (ret, 0, 0, _EPERM)]
    # clone3 passes its flags in memory seccomp cannot read: ENOSYS makes libc fall back to clone.
    prog += [(jeq, 0, 1, clone3), (ret, 0, 0, _ENOSYS), (jeq, 0, 3, clone), (ld, 0, 0, 16),
             (jset, 1, 0, _CLONE_THREAD), (ret, 0, 0, _EPERM), (ret, 0, 0, _RET_ALLOW)]
    return b"".join(struct.pack("HBBI", *ins) for ins in prog)


def _limit_resources(cpu_s: int, memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def _bwrap_command(seccomp_fd: int, program_fd: int) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (`bwrap`) is not installed, so model-written code is not run; "
                                 "install it (apt-get install bubblewrap) to score code benchmarks")
    python = os.path.realpath(sys.executable)
    cmd = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
           "--cap-drop", "ALL", "--clearenv", "--setenv", "PATH", "/nonexistent"]
    for lib in ("/usr/lib", "/usr/lib64"):
        if os.path.isdir(lib):
            cmd += ["--ro-bind", lib, lib, "--symlink", f"usr/{lib[5:]}", f"/{lib[5:]}"]
    prefix = os.path.realpath(sys.base_prefix)
    if prefix not in ("/usr", "/"):
        cmd += ["--ro-bind", prefix, prefix]
    if not python.startswith(prefix + "/lib"):
        cmd += ["--ro-bind", python, python]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMPFS_BYTES), "--tmpfs", WORKDIR,
            "--perms", "0644", "--file", str(program_fd), f"{WORKDIR}/program.py",
            "--remount-ro", "/", "--chdir", WORKDIR, "--seccomp", str(seccomp_fd),
            python, "-I", "-S", f"{WORKDIR}/program.py"]
    return cmd


def run_python(code: str, timeout_s: float = 5.0, memory_mb: int = 512, max_output_chars: int = 4000) -> SandboxResult:
    """Run `code` as a script in the sandbox; exit code 0 means it ran through (e.g. all its asserts passed)."""
    check_sandbox()
    return _run(code, timeout_s, memory_mb, max_output_chars)


def _run(code: str, timeout_s: float, memory_mb: int, max_output_chars: int) -> SandboxResult:
    cpu_s = max(1, int(timeout_s) + 1)
    with tempfile.TemporaryFile() as program, tempfile.TemporaryFile() as seccomp, \
            tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        program.write((_GUARD + "\n" + code).encode())
        seccomp.write(seccomp_filter())
        for f in (program, seccomp):
            f.flush()
            f.seek(0)
        # Output goes to files, not pipes: RLIMIT_FSIZE then caps it, so a print loop cannot fill our memory.
        proc = subprocess.Popen(_bwrap_command(seccomp.fileno(), program.fileno()), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, env={}, pass_fds=(program.fileno(), seccomp.fileno()),
                                start_new_session=True, preexec_fn=lambda: _limit_resources(cpu_s, memory_mb))
        try:
            returncode, timed_out = proc.wait(timeout=timeout_s), False
        except subprocess.TimeoutExpired:
            # The group holds bwrap; its death kills the namespace's init (die-with-parent) and with it every process.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            returncode, timed_out = -9, True
        return SandboxResult(returncode, _head(out, max_output_chars), _head(err, max_output_chars), timed_out)


@functools.cache
def _probe() -> str | None:
    """None when a trivial program runs in the sandbox, else why not (checked once per process)."""
    try:
        result = _run("print('ok')", 10.0, 512, 4000)
    except SandboxUnavailable as e:
        return str(e)
    if result.stdout != "ok\n":
        return ("bubblewrap cannot create the sandbox here (user namespaces or seccomp unavailable: "
                f"{result.stderr.strip()[:200]}); model-written code is not run")
    return None


def check_sandbox() -> None:
    """Raise SandboxUnavailable unless the OS sandbox works on this machine."""
    reason = _probe()
    if reason:
        raise SandboxUnavailable(reason)


def _head(file, max_chars: int) -> str:
    file.seek(0)
    return file.read(max_chars * 4).decode(errors="replace")[:max_chars]
