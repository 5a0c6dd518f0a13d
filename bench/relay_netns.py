"""A network namespace for bench.relay --against janus: loopback only, made by the benchmark.

The benchmark re-executes itself under `unshare --net` (root, or a user allowed to make
network namespaces); inside, `lo` is brought up and one veth pair (its far end in the same
namespace, connected to nothing) carries 127.0.0.1/32, because Janus gathers ICE candidates
only from interfaces not flagged as loopback. Nothing in the namespace has a route
anywhere else, so neither Janus nor the relay nor the load peers can reach an outside
address, whatever they try.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

VETH, VETH_PEER = "tbjanus0", "tbjanus1"
INSIDE_FLAG = "--in-loopback-namespace"


def reexec_in_namespace(argv: list[str]) -> str:
    """Replace this process by the same benchmark inside a new network namespace; returns
    (instead of replacing) only with the reason it cannot."""
    unshare = shutil.which("unshare")
    ip = shutil.which("ip")
    if unshare is None or ip is None:
        return "no `unshare` or `ip` command to make a network namespace with"
    probe = subprocess.run([unshare, "--net", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot make a network namespace: {probe.stderr.strip() or probe.returncode}"
    sys.stdout.flush()
    os.execv(
        unshare, [unshare, "--net", "--", sys.executable, "-m", "bench.relay", *argv, INSIDE_FLAG]
    )
    raise AssertionError("unreachable")


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True)


def set_up_inside() -> str | None:
    """Bring up lo and the 127.0.0.1 veth in the namespace this process is in; None if all
    is well, else why not. Refuses if the namespace holds any address off loopback."""
    try:
        _run("ip", "link", "set", "lo", "up")
        _run("ip", "link", "add", VETH, "type", "veth", "peer", "name", VETH_PEER)
        for name in (VETH, VETH_PEER):
            with open(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6", "w") as flag:
                flag.write("1")
            _run("ip", "link", "set", name, "up")
        _run("ip", "addr", "add", "127.0.0.1/32", "dev", VETH)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        return f"setting up the namespace failed: {detail}"
    return check_loopback_only()


def check_loopback_only() -> str | None:
    """None if every address in this namespace is loopback (127.0.0.0/8, ::1)."""
    out = subprocess.run(
        ["ip", "-o", "addr", "show"], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        fields = line.split()
        address = fields[3].split("/")[0]
        if not (address.startswith("127.") or address == "::1"):
            return f"the namespace has a non-loopback address: {line.strip()}"
    return None
