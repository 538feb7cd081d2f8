# SPDX-License-Identifier: BSD-3-Clause
"""
Running a DPDK program for a test: the one runner the packet harness (tests/packet/harness.py)
and the throughput bench (tests/bench/bench_dataplane.py) share.

A Program is sbc-dataplane or dpdk-testpmd under a --file-prefix of its own: started (its
stdout/stderr in a log file, or its stdout lines kept and watched when asked), its DPDK
telemetry socket reached and queried, stopped (SIGTERM, or end of stdin for testpmd), and
everything it leaves behind removed (the runtime directory under /var/run/dpdk and the POSIX
shared memory of sbc's channel). Stdlib only: importing it needs neither scapy nor root.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

# A hang, not a slow exit, is what this catches: on a 2-core machine loaded by other tests a
# clean exit (ports closed, the call table's memory returned) has taken more than 20 s.
STOP_TIMEOUT_S = 60


class RunError(Exception):
    """The run itself went wrong: the program did not start, exited early, hung."""


def thread_stacks(pid):
    """Every thread's stack of a process that will not exit (gdb, when installed): why it hung."""
    if shutil.which('gdb') is None:
        return '(no gdb: no stacks)'
    try:
        p = subprocess.run(['gdb', '-batch', '-p', str(pid), '-ex', 'thread apply all bt 12'],
                           capture_output=True, text=True, timeout=60)
        return '\n'.join(l for l in p.stdout.splitlines() if l.startswith(('#', 'Thread')))
    except subprocess.TimeoutExpired:
        return '(gdb did not answer within 60 s)'


def telemetry_path(prefix):
    """Where EAL puts the telemetry socket of the program run with --file-prefix=prefix."""
    base = '/var/run/dpdk' if os.geteuid() == 0 else os.path.join(
        os.environ.get('XDG_RUNTIME_DIR') or '/tmp', 'dpdk')
    return os.path.join(base, prefix, 'dpdk_telemetry.v2')


def unwrap(d):
    """A telemetry reply {"/cmd": value} -> value."""
    if isinstance(d, dict) and len(d) == 1 and next(iter(d)).startswith('/'):
        return next(iter(d.values()))
    return d


class Telemetry:
    """One connection to a DPDK telemetry v2 socket (the same for every program)."""

    def __init__(self, path, timeout=5):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.s.settimeout(timeout)
            self.s.connect(path)
            info = json.loads(self.s.recv(4096).decode())
        except BaseException:
            self.s.close()
            raise
        self.max = int(info.get('max_output_len', 16384))

    def query(self, cmd):
        self.s.send(cmd.encode())
        return unwrap(json.loads(self.s.recv(self.max + 1024).decode()))

    def close(self):
        self.s.close()


def eal(prefix, vdevs, mem=1024, huge_dir=None, lcores='0,1', log_level=None):
    """EAL options for a test run: no PCI, the given --vdev strings, memory without hugepages
    unless huge_dir names a hugetlbfs mount."""
    if huge_dir:
        m = ['--huge-dir', huge_dir, '--huge-unlink', '-m', str(mem)]
    else:
        m = ['--no-huge', '-m', str(mem)]
    out = ['--no-pci', *m, f'--file-prefix={prefix}', '-l', lcores]
    if log_level:
        out.append(f'--log-level={log_level}')
    for v in vdevs:
        out += ['--vdev', v]
    return out


def unpin():
    """Children run on every cpu, whatever the caller pinned itself to (the bench's sampler)."""
    try:
        os.sched_setaffinity(0, range(os.cpu_count() or 2))
    except OSError:
        pass


class Program:
    """A DPDK program measured or checked through its telemetry socket.

    stop_by_stdin: stop it by closing its stdin (testpmd: "Press enter to exit"), else SIGTERM.
    shm: POSIX shared memory the program leaves behind on purpose (sbc's channel), removed by
    cleanup(). watch: keep its stdout lines in self.lines (wait_for() waits on them, on_line()
    sees each) and send only stderr to the log; otherwise both go to the log. log: the log
    file (default wd/PREFIX.log). cwd: its working directory (default: the caller's, so that
    relative paths in cmd, as meson passes them, still hold).
    """

    def __init__(self, name, cmd, prefix, wd, stop_by_stdin=False, shm=None, watch=False,
                 log=None, cwd=None):
        self.name, self.cmd, self.prefix, self.stop_by_stdin = name, cmd, prefix, stop_by_stdin
        self.shm, self.watch, self.cwd = shm, watch, cwd
        self.log = log or os.path.join(wd, f'{prefix}.log')
        self.proc = None
        self.reader = None
        self.lines, self.eof = [], False
        self.cond = threading.Condition()
        self._tel = None

    def start(self):
        with open(self.log, 'wb') as log:
            self.proc = subprocess.Popen(
                self.cmd, stdin=subprocess.PIPE if self.stop_by_stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE if self.watch else log,
                stderr=log if self.watch else subprocess.STDOUT, cwd=self.cwd, preexec_fn=unpin)
        if self.watch:
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()

    def on_line(self, line):
        """Called (under self.cond) for every stdout line in watch mode."""

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            with self.cond:
                self.lines.append(line)
                self.on_line(line)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def log_tail(self, n=15):
        try:
            with open(self.log, errors='replace') as f:
                err = f.read().splitlines()[-n:]
        except OSError:
            err = []
        if not self.watch:
            return '\n'.join(err)
        with self.cond:
            out = self.lines[-n:]
        return '\n'.join([f'    stdout: {x}' for x in out] + [f'    stderr: {x}' for x in err])

    def wait_for(self, pred, deadline, what):
        """Watch mode: wait until pred() (called under self.cond) holds; RunError when the
        program exits first or time.monotonic() passes deadline."""
        with self.cond:
            while not pred():
                if self.eof:
                    self.proc.wait()
                    raise RunError(f'{self.name} exited (status {self.proc.returncode}) '
                                   f'before {what}:\n{self.log_tail(25)}')
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RunError(f'no {what} from {self.name}:\n{self.log_tail(25)}')
                self.cond.wait(min(left, 0.5))

    def connect(self, deadline):
        """A Telemetry connection, once the socket exists (polled until deadline)."""
        path = telemetry_path(self.prefix)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RunError(f'{self.name} exited {self.proc.returncode} at start:\n'
                               f'{self.log_tail()}')
            if os.path.exists(path):
                try:
                    return Telemetry(path)
                except OSError:
                    pass
            time.sleep(0.05)
        raise RunError(f'{self.name}: no telemetry socket {path}:\n{self.log_tail()}')

    def query(self, cmd, timeout=10):
        """One telemetry command ('/sbc/stats'), over a connection kept for the next ones."""
        if self._tel is None:
            self._tel = self.connect(time.monotonic() + timeout)
        return self._tel.query(cmd)

    def stop(self, timeout=STOP_TIMEOUT_S):
        """Stop it and return its exit status; None when it had to be killed (it did not exit
        within timeout) or was not running."""
        if self._tel is not None:
            self._tel.close()
            self._tel = None
        if self.proc is None:
            return None
        try:
            if self.proc.poll() is None:
                if self.stop_by_stdin:
                    self.proc.stdin.close()      # testpmd: "Press enter to exit"
                else:
                    self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stacks = thread_stacks(self.proc.pid)
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            if self.proc.stdin and not self.proc.stdin.closed:
                self.proc.stdin.close()
            if self.reader is not None:
                self.reader.join(5)

    def cleanup(self):
        if self._tel is not None:
            self._tel.close()
            self._tel = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        rt = os.path.dirname(telemetry_path(self.prefix))
        if os.path.basename(rt) == self.prefix:
            shutil.rmtree(rt, ignore_errors=True)
        if self.shm:
            try:
                os.unlink('/dev/shm/' + self.shm.lstrip('/'))
            except OSError:
                pass
