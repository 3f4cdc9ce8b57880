"""Copy stdin to stdout at most KIBPS KiB/s (0: unbounded), on the controller.

Bounds what one host's push or bundle costs the network; with ssh, a slower reader is
back-pressure all the way to irkit on the host, which then simply writes more slowly.
"""

import sys
import time

CHUNK = 64 * 1024


def main() -> None:
    kibps = int(sys.argv[1])
    start = time.monotonic()
    sent = 0
    while data := sys.stdin.buffer.read1(CHUNK):
        sys.stdout.buffer.write(data)
        sent += len(data)
        if kibps:
            ahead = sent / (kibps * 1024) - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    sys.stdout.buffer.flush()


main()
