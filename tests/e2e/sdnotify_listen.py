#!/usr/bin/env python3
"""systemd's side of sd_notify(3) for tests: bind a datagram socket at PATH and append every
message received to OUT as one line (the message's newlines become spaces), flushed at once.
Runs until killed."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a", encoding="utf-8") as f:
    f.write("listening\n")
    f.flush()
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        f.write(msg.replace("\n", " ") + "\n")
        f.flush()
        os.fsync(f.fileno())
