import subprocess
import sys


def test_stats_imports_nothing_to_its_right():
    # Data flows one way (STYLE.md): stats reads records; report, cli and study sit to its right.
    code = ("import sys, traitrl.stats; "
            "print(sorted(m for m in sys.modules if m.startswith(('traitrl.report', 'traitrl.cli', 'traitrl.study'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
