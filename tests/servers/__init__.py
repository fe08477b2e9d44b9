"""Real servers for credsweep's integration tests, on loopback, in temp directories.

    sys.path.insert(0, os.path.join(REPO, "tests"))
    from servers.samba_dc import SambaDC
    from servers.slapd import Slapd

Each server is started by its class, stopped by PID (SIGTERM, then SIGKILL) and its
directory removed on stop(), on `with` exit and at interpreter exit (atexit), so a failing
test never leaves a daemon behind. Set CREDSWEEP_KEEP_SERVERS=1 to keep the directories for
debugging (the daemons are still stopped).

Run with /usr/bin/python3 (Debian's python, which has the samba bindings and aiosmtpd).
"""
