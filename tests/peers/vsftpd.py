"""Debian's vsftpd as packaged, run by a test on 127.0.0.1 (explicit FTPS, passive mode).

The configuration starts from the packaged `/etc/vsftpd.conf` and changes only what a user
changes to serve explicit FTPS to one local user: `ssl_enable=YES` with a certificate (made at
test time), `listen=YES` on 127.0.0.1 and a free port, a passive port range, `write_enable=YES`
and a chrooted local user. Everything else stays at vsftpd's defaults, `require_ssl_reuse=YES`
included. `background=NO` keeps the server in the foreground so the test stops it by its PID.

vsftpd runs as root (it chroots and changes user per login), so the test user is a real system
user (made once, removed by `remove_user`). Its chroot is a root-owned folder (vsftpd refuses
a writable chroot) with one folder the user may write to: `upload`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
import os
from pathlib import Path
import pwd
import shutil
import socket
import subprocess
import time

from tests.peers.net import free_port
from tests.peers.tls import certificate_files

HOST = "127.0.0.1"
PACKAGED_CONF = Path("/etc/vsftpd.conf")
BINARY = "/usr/sbin/vsftpd"
USER = "camftp"
PASSWORD = "Ftp-test-passw0rd-that-is-long"  # longer than the old 16-character limit


def ensure_user(home: Path) -> pwd.struct_passwd:
    """Make (or re-home) the system user vsftpd logs in, with the test password."""
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--no-create-home", "--shell", "/bin/sh", "--home-dir", str(home), USER],
            check=True,
            capture_output=True,
        )
    else:
        subprocess.run(["usermod", "--home", str(home), USER], check=True, capture_output=True)
    subprocess.run(
        ["chpasswd"], input=f"{USER}:{PASSWORD}\n", text=True, check=True, capture_output=True
    )
    return pwd.getpwnam(USER)


def remove_user() -> None:
    """Remove the test user again."""
    with contextlib.suppress(KeyError):
        pwd.getpwnam(USER)
        subprocess.run(["userdel", USER], check=False, capture_output=True)


class Vsftpd:
    """One vsftpd process serving `root` to the test user; `upload` is writable."""

    def __init__(self, folder: Path, **overrides: str) -> None:
        self.folder = folder
        self.root = folder / "home"
        self.upload = self.root / "upload"
        self.port = 0
        self.overrides = overrides
        self.log = folder / "vsftpd.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return None if self._process is None else self._process.pid

    def _config(self) -> str:
        cert, key = certificate_files()
        self.port = free_port()
        pasv = free_port()
        settings = {
            # What a user changes to serve explicit FTPS on one address.
            "listen": "YES",
            "listen_ipv6": "NO",
            "listen_address": HOST,
            "listen_port": str(self.port),
            "background": "NO",
            "local_enable": "YES",
            "write_enable": "YES",
            "chroot_local_user": "YES",
            "ssl_enable": "YES",
            "rsa_cert_file": str(cert),
            "rsa_private_key_file": str(key),
            "pasv_min_port": str(pasv),
            "pasv_max_port": str(pasv),
            # The test's own log instead of /var/log (so a failing test can show it).
            "vsftpd_log_file": str(self.log),
            "xferlog_std_format": "NO",
            "log_ftp_protocol": "YES",
        } | self.overrides
        lines = []
        for line in PACKAGED_CONF.read_text().splitlines():
            key = line.split("=", 1)[0].strip()
            if not line.startswith("#") and key in settings:
                continue  # replaced below
            lines.append(line)
        lines += [f"{key}={value}" for key, value in settings.items()]
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        """Write the configuration, start vsftpd and wait until it answers."""
        assert self._process is None, "already running"
        account = ensure_user(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chown(self.root, 0, 0)
        self.root.chmod(0o755)
        for parent in self.root.parents:  # the user must reach its home folder
            if parent == Path("/tmp") or parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o005)
        self.upload.mkdir(exist_ok=True)
        os.chown(self.upload, account.pw_uid, account.pw_gid)
        conf = self.folder / "vsftpd.conf"
        conf.write_text(self._config())
        self._process = subprocess.Popen(
            [BINARY, str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = self._process.stdout.read() if self._process.stdout else b""
                self._process = None
                raise RuntimeError(f"vsftpd exited at start: {output.decode(errors='replace')}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.5):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("vsftpd did not listen within 10 s")

    def stop(self) -> None:
        """Stop the server by its PID (and the session processes it started)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
        # Each login runs in a child process of its own, which ends with its connection; the
        # test's client connections are closed by now, so they are gone or going.

    def files(self) -> list[str]:
        """Every path under the writable folder, relative to it, sorted."""
        return sorted(str(path.relative_to(self.upload)) for path in self.upload.rglob("*"))

    def cleanup(self) -> None:
        """Remove the served folder."""
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def vsftpd_servers(folder: Path) -> Iterator[Callable[..., Vsftpd]]:
    """Start vsftpd servers on demand (settings as keyword overrides); stop each by PID."""
    servers: list[Vsftpd] = []

    def start(**overrides: str) -> Vsftpd:
        server = Vsftpd(folder / f"vsftpd{len(servers)}", **overrides)
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()
        remove_user()
