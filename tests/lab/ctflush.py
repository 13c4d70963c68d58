#!/usr/bin/python3
"""ctflush: empties the conntrack table of the current network namespace (what
`conntrack -F` does), through ctnetlink directly so the lab needs no extra package.

Scenarios re-render the node's rules; without a flush, a flow accepted under the previous
rules would stay "established" and slip past the new ones.
Run inside the node: ip netns exec NODE /usr/bin/python3 ctflush.py
"""

import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_DELETE = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLMSG_ERROR = 2


def flush(family):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    try:
        sock.bind((0, 0))
        # nfgenmsg: family, version 0, res_id 0. No attributes: delete every entry.
        payload = struct.pack("BBH", family, 0, 0)
        msg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE
        header = struct.pack("=IHHII", 16 + len(payload), msg_type,
                             NLM_F_REQUEST | NLM_F_ACK, 1, 0)
        sock.send(header + payload)
        reply = sock.recv(4096)
        _, rtype, _, _, _ = struct.unpack("=IHHII", reply[:16])
        if rtype == NLMSG_ERROR:
            err = struct.unpack("=i", reply[16:20])[0]
            if err not in (0,):
                raise OSError(-err, "ctnetlink flush")
    finally:
        sock.close()


def main():
    try:
        flush(socket.AF_INET)
        flush(socket.AF_INET6)
    except OSError as exc:
        print("ctflush: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
