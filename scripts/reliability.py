#!/usr/bin/python3
"""promcast's bounded soak and fault suite (issue 10), outside CI: each scenario starts a fresh promcast on
loopback, abuses it, and prints the figures docs/reliability.md quotes. Standard library only.

  scripts/reliability.py [--promcast build/app/promcast] [--statsd-load build-bench/bench/statsd_load]
                         [--seconds 60] [scenario ...]      # scenarios: http udp-flood churn reload

Every scenario fails (exit 1) when promcast crashes or a stated bound is broken; figures go to stdout.
Only loopback addresses are used.
"""
import argparse
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

RESULTS = []


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Promcast:
    """A promcast process on free loopback ports, with its RSS and self-metrics at hand."""

    def __init__(self, binary, workdir, mapping=None, extra=(), nofile=None):
        self.web = free_port()
        self.statsd = free_port()
        self.mapping_path = os.path.join(workdir, "mapping.yml")
        args = [binary, f"--web.listen-address=127.0.0.1:{self.web}",
                f"--statsd.listen-udp=127.0.0.1:{self.statsd}", f"--statsd.listen-tcp=127.0.0.1:{self.statsd}",
                "--web.enable-lifecycle", "--log.level=warn", *extra]
        if mapping is not None:
            with open(self.mapping_path, "w") as f:
                f.write(mapping)
            args.append(f"--statsd.mapping-config={self.mapping_path}")
        self.log = open(os.path.join(workdir, "promcast.log"), "w")
        def limit_files():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=limit_files)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.get("/-/healthy", timeout=1) is not None:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"promcast did not start; see {self.log.name}")

    def url(self, path):
        return f"http://127.0.0.1:{self.web}{path}"

    def get(self, path, timeout=5):
        try:
            with urllib.request.urlopen(self.url(path), timeout=timeout) as r:
                return r.read().decode()
        except OSError:
            return None

    def timed_get(self, path, timeout=5):
        start = time.monotonic()
        body = self.get(path, timeout)
        return (time.monotonic() - start) if body is not None else None

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def metric(self, name, labels=""):
        body = self.get("/metrics", timeout=10) or ""
        total = 0.0
        for line in body.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                if labels and labels not in line:
                    continue
                total += float(line.rsplit(" ", 1)[1])
        return total

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


class Prober(threading.Thread):
    """Polls a path every `every` seconds; records the worst latency, failures and the peak RSS."""

    def __init__(self, promcast, path, every=0.5):
        super().__init__(daemon=True)
        self.promcast, self.path, self.every = promcast, path, every
        self.worst, self.failures, self.probes, self.peak_rss = 0.0, 0, 0, 0.0
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            took = self.promcast.timed_get(self.path, timeout=5)
            self.probes += 1
            if took is None:
                self.failures += 1
            else:
                self.worst = max(self.worst, took)
            if self.promcast.alive():
                self.peak_rss = max(self.peak_rss, self.promcast.rss_mib())
            self.stop_event.wait(self.every)

    def finish(self):
        self.stop_event.set()
        self.join()


def check(scenario, what, ok, figure):
    RESULTS.append((scenario, what, "ok" if ok else "FAILED", figure))
    print(f"  [{'ok' if ok else 'FAILED'}] {what}: {figure}", flush=True)


def cpu_seconds(p):
    with open(f"/proc/{p.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scenario_http(args, workdir):
    """1,000 slow connections, 1 MB headers, 10,000 idle connections, oversized bodies."""
    # promcast starts with the usual soft limit on open files (1024), as from a login shell or systemd
    p = Promcast(args.promcast, workdir, nofile=1024)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    base_rss = p.rss_mib()
    probe = Prober(p, "/-/healthy", 0.25)
    probe.start()

    # slowloris: a header line every 2 s, never finishing the request
    slow = []
    for _ in range(1000):
        s = socket.create_connection(("127.0.0.1", p.web))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    for i in range(min(args.seconds, 20) // 2):
        for s in slow:
            try:
                s.sendall(f"X-Slow-{i}: y\r\n".encode())
            except OSError:
                pass
        time.sleep(2)
    for s in slow:
        s.close()
    check("http", "health during 1,000 slow connections", probe.failures == 0 and probe.worst < 1.0,
          f"worst /-/healthy {probe.worst * 1000:.0f} ms over {probe.probes} probes, {probe.failures} failed")

    # one request with a 1 MB header
    s = socket.create_connection(("127.0.0.1", p.web))
    answer = b""
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
        s.settimeout(5)
        answer = s.recv(200)
    except OSError as e:
        answer = str(e).encode()
    s.close()
    check("http", "1 MB header refused, server alive", p.alive() and p.get("/-/healthy") is not None,
          f"answer: {answer[:40]!r}")

    # 10,000 idle connections
    idle, refused = [], 0
    for _ in range(10000):
        try:
            idle.append(socket.create_connection(("127.0.0.1", p.web), timeout=2))
        except OSError:
            refused += 1
    time.sleep(2)
    took = p.timed_get("/-/healthy", timeout=5)
    rss_idle = p.rss_mib()
    cpu_before = cpu_seconds(p)
    time.sleep(2)
    spin = (cpu_seconds(p) - cpu_before) / 2
    for s in idle:
        s.close()
    check("http", "health with 10,000 idle connections open", took is not None and took < 1.0,
          f"/-/healthy {'failed' if took is None else f'{took * 1000:.0f} ms'}; {len(idle)} open, {refused} "
          f"refused; RSS {rss_idle:.0f} MiB (from {base_rss:.0f})")
    check("http", "no busy loop while connections are held", spin < 0.2, f"{spin * 100:.0f} % of a core")

    # oversized bodies
    for path in ("/-/reload", "/api/v1/read"):
        s = socket.create_connection(("127.0.0.1", p.web))
        status = b""
        try:
            s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {100 << 20}\r\n\r\n".encode())
            s.settimeout(10)
            chunk = b"z" * (1 << 16)
            for _ in range((100 << 20) // len(chunk)):
                s.sendall(chunk)
            status = s.recv(100)
        except OSError as e:
            status = status or str(e).encode()
        s.close()
        check("http", f"100 MB body on {path} refused", p.alive(), f"answer: {status[:40]!r}")
    probe.finish()
    check("http", "memory bounded", probe.peak_rss < base_rss + 512,
          f"peak RSS {probe.peak_rss:.0f} MiB (start {base_rss:.0f})")
    p.stop()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def statsd_load(args, p, *flags):
    cmd = [args.statsd_load, "--target", f"127.0.0.1:{p.statsd}", "--metrics-url", p.url("/metrics"), *flags]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr}")
    return out.stdout


def scenario_udp_flood(args, workdir):
    """UDP at twice the measured zero-loss rate (1.5 M lines/s) for --seconds."""
    mapping = "mappings:\n- match: 'drift_metrics.*.*.*.*'\n  name: flood\n  labels: {ds: '$1', col: '$3'}\n"
    p = Promcast(args.promcast, workdir, mapping)
    base_rss = p.rss_mib()
    probe = Prober(p, "/metrics", 1.0)
    probe.start()
    rate = 3_000_000
    out = statsd_load(args, p, "--rate", str(rate), "--lines", str(rate * args.seconds), "--lines-per-datagram",
                      "20", "--names", "1000", "--max-seconds", str(args.seconds + 30))
    probe.finish()
    kernel = p.metric("statsd_exporter_udp_kernel_drops_total")
    app = p.metric("statsd_exporter_udp_packet_drops_total")
    print("    " + out.strip().replace("\n", "\n    "))
    check("udp-flood", "alive after the flood", p.alive(), f"{args.seconds} s at {rate:,} lines/s offered")
    check("udp-flood", "/metrics answers within 1 s during the flood",
          probe.failures == 0 and probe.worst < 1.0,
          f"worst {probe.worst * 1000:.0f} ms over {probe.probes} scrapes, {probe.failures} failed")
    check("udp-flood", "drops counted", kernel + app > 0,
          f"kernel drops {kernel:,.0f} datagrams, application drops {app:,.0f}")
    check("udp-flood", "RSS bounded", probe.peak_rss < base_rss + 512,
          f"peak RSS {probe.peak_rss:.0f} MiB (start {base_rss:.0f})")
    p.stop()


def count_series(body, name):
    return sum(1 for line in body.splitlines() if line.startswith(name + "{"))


def scenario_churn(args, workdir):
    """1M distinct label values against --statsd.max-series=10000, then TTL expiry."""
    mapping = ("defaults:\n  ttl: 10s\nmappings:\n- match: 'drift_metrics.*.*.*.*'\n  name: churn\n"
               "  labels: {ds: '$1', col: '$3'}\n")
    p = Promcast(args.promcast, workdir, mapping, ["--statsd.max-series=10000"])
    base_rss = p.rss_mib()
    probe = Prober(p, "/metrics", 1.0)
    probe.start()
    out = statsd_load(args, p, "--proto", "tcp", "--rate", "200000", "--lines", "1000000", "--lines-per-datagram",
                      "50", "--names", "1000000", "--type", "g", "--max-seconds", "120")
    probe.finish()
    print("    " + out.strip().replace("\n", "\n    "))
    held = count_series(p.get("/metrics", 10) or "", "churn")
    limited = p.metric("statsd_exporter_events_error_total", 'reason="series_limit"')
    check("churn", "max-series held", held <= 10000 and limited > 0,
          f"{held:,} churn series kept, {limited:,.0f} events refused by the series limit")
    check("churn", "RSS bounded", probe.peak_rss < base_rss + 256,
          f"peak RSS {probe.peak_rss:.0f} MiB (start {base_rss:.0f})")
    deadline = time.time() + 30
    left = held
    while time.time() < deadline and left > 0:
        time.sleep(1)
        left = count_series(p.get("/metrics", 10) or "", "churn")
    check("churn", "TTL expiry", left == 0, f"{left} churn series left 30 s after the last sample (ttl 10 s)")
    p.stop()


def scenario_reload(args, workdir):
    """100 SIGHUP reloads (every tenth with a broken file) while counting lines over TCP."""
    good = "mappings:\n- match: 'reload.*'\n  name: reload_lines\n  labels: {key: '$1'}\n"
    bad = "mappings:\n- match: 'reload.*'\n  name: reload_lines\n  labelz: {key: '$1'}\n"
    p = Promcast(args.promcast, workdir, good)
    sent = 0
    stop = threading.Event()

    def sender():
        nonlocal sent
        with socket.create_connection(("127.0.0.1", p.statsd)) as s:
            while not stop.is_set():
                s.sendall(b"reload.a:1|c\n" * 100)
                sent += 100
                time.sleep(0.002)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    for i in range(100):
        with open(p.mapping_path, "w") as f:
            f.write(bad if i % 10 == 9 else good)
        p.proc.send_signal(signal.SIGHUP)
        time.sleep(0.2)
    with open(p.mapping_path, "w") as f:
        f.write(good)
    stop.set()
    t.join()
    time.sleep(2)
    counted = p.metric("reload_lines_total", 'key="a"') or p.metric("reload_lines", 'key="a"')
    lines = p.metric("statsd_exporter_lines_total")
    ok_reloads = p.metric("statsd_exporter_config_reloads_total", 'outcome="success"')
    bad_reloads = p.metric("statsd_exporter_config_reloads_total", 'outcome="failure"')
    check("reload", "every accepted line counted", p.alive() and counted == sent == lines,
          f"{sent:,} lines sent over TCP, {lines:,.0f} received, {counted:,.0f} in the counter")
    check("reload", "reload outcomes", ok_reloads == 90 and bad_reloads == 10,
          f"{ok_reloads:.0f} successful, {bad_reloads:.0f} failed (90 / 10 expected)")
    p.stop()


SCENARIOS = {"http": scenario_http, "udp-flood": scenario_udp_flood, "churn": scenario_churn,
             "reload": scenario_reload}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--promcast", default="build/app/promcast")
    parser.add_argument("--statsd-load", default="build-bench/bench/statsd_load")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}, "
          f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    for name in args.scenarios:
        print(f"== {name}", flush=True)
        with tempfile.TemporaryDirectory() as workdir:
            try:
                SCENARIOS[name](args, workdir)
            except Exception as e:  # a scenario that cannot finish is a failure, reported with its cause
                check(name, "scenario ran", False, repr(e))
    failed = [r for r in RESULTS if r[2] != "ok"]
    print(f"{len(RESULTS) - len(failed)} of {len(RESULTS)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
