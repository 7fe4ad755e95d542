"""Stand-in for get-pip.py that ansible-test runs before each test virtualenv.

ansible-test downloads get-pip.py from a host unreachable here but looks in its cache
first. This bootstraps pip from the interpreter's bundled wheel (ensurepip, in a
subprocess so the machine's pip.conf stays in effect) and then installs what
ansible-test asked for through the ordinary pip client.
"""

import subprocess
import sys

IGNORED_ARGS = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True)
    wanted = [arg for arg in sys.argv[1:] if arg not in IGNORED_ARGS]
    if wanted:
        subprocess.run([sys.executable, "-m", "pip", "install", *wanted], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
