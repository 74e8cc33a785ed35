#!/usr/bin/env python3
"""Receives the RTP of many calls on one UDP port and reports, per stream (SSRC) and overall:
packets, lost packets (sequence gaps), and the distribution of inter-arrival gaps.

Usage: rtp_probe.py PORT SECONDS  -- prints one JSON object when SECONDS have passed."""
import json
import socket
import struct
import sys
import time


def main() -> None:
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024 * 1024)
    sock.bind(("127.0.0.1", port))
    sock.settimeout(0.5)
    buf = bytearray(2048)
    streams = {}  # ssrc -> [last_arrival, last_seq, packets, lost]
    histogram = [0] * 1001  # gaps in ms, 0..1000 (the last bucket holds everything longer)
    start = time.monotonic()
    end = start + seconds
    total = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        try:
            n, _ = sock.recvfrom_into(buf)
        except socket.timeout:
            continue
        now = time.monotonic()
        if n < 12:
            continue
        seq, _ts, ssrc = struct.unpack_from("!HII", buf, 2)
        total += 1
        state = streams.get(ssrc)
        if state is None:
            streams[ssrc] = [now, seq, 1, 0]
            continue
        gap_ms = int((now - state[0]) * 1000)
        histogram[min(gap_ms, 1000)] += 1
        expected = (state[1] + 1) & 0xFFFF
        if seq != expected:
            state[3] += (seq - expected) & 0xFFFF
        state[0], state[1] = now, seq
        state[2] += 1

    gaps = sum(histogram)

    def percentile(p: float) -> int:
        if gaps == 0:
            return 0
        rank, seen = p * gaps, 0
        for ms, count in enumerate(histogram):
            seen += count
            if seen >= rank:
                return ms
        return 1000

    print(json.dumps({
        "streams": len(streams),
        "packets": total,
        "lost": sum(s[3] for s in streams.values()),
        "gap_ms_p50": percentile(0.50),
        "gap_ms_p99": percentile(0.99),
        "gap_ms_p999": percentile(0.999),
        "gap_ms_max": max((ms for ms, c in enumerate(histogram) if c), default=0),
    }))


if __name__ == "__main__":
    main()
