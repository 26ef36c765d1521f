#!/usr/bin/env python3
"""A slow, lossy cable for the test LAN: two TAP devices and a relay between them.

The kernel of the test machines has no netem qdisc, so delay cannot be added with tc. Instead a
host of the LAN is joined to the bridge through this process: it creates two TAP devices in the
namespace it runs in (the harness runs it in the bridge's namespace and then moves one of them
into the host's namespace as the host's interface), and copies every Ethernet frame from one to
the other after a fixed delay, dropping each frame with a given probability. It works at layer 2,
so ARP and multicast (mDNS) cross it like any other frame.

    delay-link.py --host-tap NAME --bridge-tap NAME --delay-ms MS [--loss-percent P]
                  [--lifetime-s S]

It prints "ready" once both devices exist and then forwards until SIGTERM, until its standard
input closes (the harness is gone), or until the lifetime ends, whichever comes first. Closing
the devices' file descriptors deletes the devices (they are not persistent). On SIGUSR1 it
prints its counters as one line of JSON; its last line says why it stopped, with the counters.
Standard library only: Node has no ioctl.
"""
import argparse
import collections
import errno
import fcntl
import json
import os
import random
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFNAMSIZ = 16
# Larger than any frame a TAP without offloads hands over (MTU 1500 plus the Ethernet header).
READ_BYTES = 65536
# Frames in flight per direction. At 100 ms of delay this is far more than the LAN's traffic; it
# only bounds memory if a peer floods the link.
MAX_QUEUED_FRAMES = 20000
# Longest a run may last unless told otherwise: a forgotten relay ends by itself.
DEFAULT_LIFETIME_S = 1800


def open_tap(name):
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI))
    except OSError:
        os.close(fd)
        raise
    return fd


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--host-tap', required=True)
    p.add_argument('--bridge-tap', required=True)
    p.add_argument('--delay-ms', type=float, required=True)
    p.add_argument('--loss-percent', type=float, default=0.0)
    p.add_argument('--lifetime-s', type=float, default=DEFAULT_LIFETIME_S)
    a = p.parse_args()
    for name in (a.host_tap, a.bridge_tap):
        if not 0 < len(name.encode()) < IFNAMSIZ:
            p.error('interface names have 1 to 15 bytes: %r' % name)
    if a.delay_ms < 0 or not 0 <= a.loss_percent <= 100 or a.lifetime_s <= 0:
        p.error('need delay >= 0, loss in 0..100, lifetime > 0')

    stop = []
    report = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append('SIGTERM'))
    signal.signal(signal.SIGINT, lambda *_: stop.append('SIGINT'))
    signal.signal(signal.SIGUSR1, lambda *_: report.append(True))
    # A signal writes a byte here, which wakes the select below at once (it retries on EINTR).
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)

    host = open_tap(a.host_tap)
    bridge = open_tap(a.bridge_tap)
    delay = a.delay_ms / 1000.0
    loss = a.loss_percent / 100.0
    end = time.monotonic() + a.lifetime_s
    # One queue per direction: with a fixed delay, frames leave in the order they came.
    queues = {host: collections.deque(), bridge: collections.deque()}
    target = {host: bridge, bridge: host}
    counts = {'forwarded': 0, 'lost': 0, 'overflow': 0, 'write_errors': 0}
    stdin = sys.stdin.fileno()
    watch = [host, bridge, stdin, wake_r]
    print('ready', flush=True)

    while not stop:
        if report:
            report.clear()
            print(json.dumps(counts), flush=True)
        now = time.monotonic()
        if now >= end:
            stop.append('lifetime')
            break
        for src, q in queues.items():
            while q and q[0][0] <= now:
                _, frame = q.popleft()
                try:
                    os.write(target[src], frame)
                    counts['forwarded'] += 1
                except OSError:
                    # The far end is down (a pulled cable) or busy: a real cable loses it too.
                    counts['write_errors'] += 1
        due = [q[0][0] for q in queues.values() if q]
        timeout = max(0.0, min(due + [end]) - now)
        try:
            ready, _, _ = select.select(watch, [], [], min(timeout, 1.0))
        except InterruptedError:
            continue
        for fd in ready:
            if fd == wake_r:
                try:
                    os.read(wake_r, 4096)
                except BlockingIOError:
                    pass
                continue
            if fd == stdin:
                if not os.read(stdin, 4096):
                    stop.append('stdin closed')
                continue
            while True:
                try:
                    frame = os.read(fd, READ_BYTES)
                except BlockingIOError:
                    break
                except OSError as e:
                    if e.errno in (errno.EAGAIN, errno.EINTR):
                        break
                    raise
                if not frame:
                    break
                # Stamped as each frame is read, not once per wake-up: frames that come in while
                # this loop runs (or while the relay is descheduled in it, on a loaded machine)
                # would otherwise leave early, by as long as the loop took.
                arrived = time.monotonic()
                if loss > 0 and random.random() < loss:
                    counts['lost'] += 1
                elif len(queues[fd]) >= MAX_QUEUED_FRAMES:
                    counts['overflow'] += 1
                else:
                    queues[fd].append((arrived + delay, frame))

    os.close(host)
    os.close(bridge)
    print(json.dumps(dict(counts, stopped=stop[0])), flush=True)


if __name__ == '__main__':
    main()
