#!/usr/bin/python3
"""promcast's bounded soak and fault suite (issue 10), outside CI: each scenario starts a fresh promcast on
loopback, abuses it, and prints the figures docs/reliability.md quotes. Standard library only.

  scripts/reliability.py [--promcast build/app/promcast] [--statsd-load build-bench/bench/statsd_load]
                         [--seconds 60] [--outage-seconds 300] [scenario ...]
  scenarios: http udp-flood churn reload remote-write-outage

Every scenario fails (exit 1) when promcast crashes or a stated bound is broken; figures go to stdout.
Only loopback addresses are used.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
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


DRIFT_MAPPING = """mappings:
- match: "drift_metrics.*.*.*.*"
  name: "drift_metrics"
  labels: {dataset_name: "$1", dataset_version: "$2", column_name: "$3", metric_name: "$4"}
"""

DRIFT_RULES = """groups:
  - name: data-quality
    interval: 1s
    rules:
      - anomaly: DriftAnomaly
        expr: drift_metrics{metric_name="wasserstein"}
        step: 1s
        history: 5m
        detector: {method: zscore, window: 60, robust: true, z: 4, min_rel_scale: 0.01}
"""


class PrometheusProcess:
    """A Prometheus on a free loopback port with a remote-write receiver, scraping one target."""

    def __init__(self, binary, workdir, name, scrape_port, port=None):
        self.port = port or free_port()
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.dir, "prometheus.yml"), "w") as f:
            f.write("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: promcast\n"
                    f"    static_configs: [{{targets: ['127.0.0.1:{scrape_port}']}}]\n")
        self.binary, self.proc = binary, None
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "log"), "a")
        self.proc = subprocess.Popen(
            [self.binary, f"--config.file={self.dir}/prometheus.yml", f"--storage.tsdb.path={self.dir}/data",
             f"--web.listen-address=127.0.0.1:{self.port}", "--web.enable-remote-write-receiver",
             "--log.level=warn"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"prometheus did not start; see {self.log.name}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self.log.close()

    def query(self, expr):
        url = f"http://127.0.0.1:{self.port}/api/v1/query?query=" + urllib.parse.quote(expr)
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)["data"]["result"]


def scenario_remote_write_outage(args, workdir):
    """The remote-write receiver down for --outage-seconds while a rule writes every second."""
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        raise RuntimeError("prometheus (Debian package) is needed")
    source_port = free_port()
    rules = os.path.join(workdir, "rules.yml")
    with open(rules, "w") as f:
        f.write(DRIFT_RULES)
    # the receiver scrapes nothing of interest (a free port); promcast remote-writes to it
    receiver = PrometheusProcess(prometheus, workdir, "receiver", free_port())
    p = Promcast(args.promcast, workdir, DRIFT_MAPPING,
                 [f"--rules.config={rules}", f"--rules.query.url=http://127.0.0.1:{source_port}",
                  f"--rules.remote-write.url=http://127.0.0.1:{receiver.port}/api/v1/write"])
    source = PrometheusProcess(prometheus, workdir, "source", p.web, source_port)
    stop = threading.Event()

    def pipeline():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            while not stop.is_set():
                s.sendto(b"drift_metrics.mushroom.v1.cap-diameter.wasserstein:0.1|g", ("127.0.0.1", p.statsd))
                time.sleep(0.2)

    threading.Thread(target=pipeline, daemon=True).start()
    series = 'DriftAnomaly:anomaly_score{column_name="cap-diameter"}'
    deadline = time.time() + 180
    while time.time() < deadline and not receiver.query(series):
        time.sleep(1)
    if not receiver.query(series):
        raise RuntimeError("no anomaly score reached the receiver")
    receiver.stop()
    down_from = time.time()
    time.sleep(args.outage_seconds)
    queued = p.metric("promcast_remote_write_queue_samples")
    receiver.start()
    down_to = time.time()
    recovered = None
    while time.time() < down_to + 60:
        if p.metric("promcast_remote_write_queue_samples") < 50:
            recovered = time.time() - down_to
            break
        time.sleep(0.5)
    time.sleep(2)
    window = int(down_to - down_from) - 2
    got = receiver.query(f"count_over_time({series}[{window}s] offset 2s)")
    count = float(got[0]["value"][1]) if got else 0.0
    dropped = p.metric("promcast_remote_write_samples_dropped_total")
    stop.set()
    check("remote-write-outage", "queued while down, nothing dropped", dropped == 0 and queued > 0,
          f"{queued:,.0f} samples queued after {args.outage_seconds} s down, {dropped:,.0f} dropped")
    check("remote-write-outage", "recovered within one interval plus the backoff cap (10 s)",
          recovered is not None and recovered <= 11,
          "queue drained in " + ("never" if recovered is None else f"{recovered:.1f} s"))
    check("remote-write-outage", "the outage's samples arrived", count >= 0.9 * window,
          f"{count:.0f} anomaly-score samples in the {window} s the receiver was down (1 per second expected)")
    p.stop()
    source.stop()
    receiver.stop()


SCENARIOS = {"http": scenario_http, "udp-flood": scenario_udp_flood, "churn": scenario_churn,
             "reload": scenario_reload, "remote-write-outage": scenario_remote_write_outage}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--promcast", default="build/app/promcast")
    parser.add_argument("--statsd-load", default="build-bench/bench/statsd_load")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--outage-seconds", type=int, default=300)
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
