"""How the commands in apps/ end: bad input is reported in one line, not as a traceback."""
import os
import sys


def run(main):
    """sys.exit(main()); a ValueError or OSError (bad argument, file or data) exits with
    'command: message' on stderr and status 1."""
    try:
        status = main()
    except (ValueError, OSError) as e:
        status = f"{os.path.basename(sys.argv[0])}: {e}"
    sys.exit(status)


def model_options(pairs):
    """--model-option KEY=VALUE strings as a dict, whole numbers as int."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not (key and sep):
            raise ValueError(f"--model-option {pair!r}: expected KEY=VALUE")
        out[key] = int(value) if value.lstrip("-").isdigit() else value
    return out
