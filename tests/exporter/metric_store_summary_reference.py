#!/usr/bin/python3
"""Reference for client_golang summaries: generates metric_store_summary_fixture.txt.

A plain-Python rewrite (from the Go sources' behaviour) of beorn7/perks' targeted CKMS quantile stream and
of client_golang's summary (hot/cold buffers of BufCap values, AgeBuckets streams rotated every
MaxAge/AgeBuckets, Write = swap buffers + flush + query the head stream). The C++ SummaryState must
reproduce it exactly: the quantile values statsd_exporter shows depend on these details.

Run: /usr/bin/python3 tests/exporter/metric_store_summary_reference.py > tests/exporter/metric_store_summary_fixture.txt
Lines:  new NAME MAX_AGE_NS AGE_BUCKETS BUF_CAP Q:E ...   (a fresh summary created at time 0)
        obs T_NS V                                          (V as a C99 hex float)
        scrape T_NS COUNT SUM Q1 Q2 ...                     (expected values, hex floats, quantiles sorted)
"""
import math
import random
import sys

FLOAT_MAX = sys.float_info.max


class Stream:
    BUF_CAP = 500

    def __init__(self, targets):
        self.targets = targets
        self.b = []
        self.sorted = True
        self.n = 0.0
        self.l = []  # [value, width, delta]

    def f(self, r):
        m = FLOAT_MAX
        for q, e in self.targets:
            if q * self.n <= r:
                v = (2 * e * r) / q
            else:
                v = (2 * e * (self.n - r)) / (1 - q)
            if v < m:
                m = v
        return m

    def insert(self, v):
        self.b.append(v)
        self.sorted = False
        if len(self.b) == self.BUF_CAP:
            self.flush()

    def maybe_sort(self):
        if not self.sorted:
            self.sorted = True
            self.b.sort()

    def flush(self):
        self.maybe_sort()
        self.merge(self.b)
        self.b = []

    def merge(self, values):
        r = 0.0
        i = 0
        for v in values:
            inserted = False
            while i < len(self.l):
                c = self.l[i]
                if c[0] > v:
                    self.l.insert(i, [v, 1.0, max(0.0, math.floor(self.f(r)) - 1)])
                    i += 1
                    inserted = True
                    break
                r += c[1]
                i += 1
            if not inserted:
                self.l.append([v, 1.0, 0.0])
                i += 1
            self.n += 1
            r += 1
        self.compress()

    def compress(self):
        if len(self.l) < 2:
            return
        x = list(self.l[-1])
        xi = len(self.l) - 1
        r = self.n - 1 - x[1]
        i = len(self.l) - 2
        while i >= 0:
            c = self.l[i]
            if c[1] + x[1] + x[2] <= self.f(r):
                x[1] += c[1]
                self.l[xi] = list(x)
                del self.l[i]
                xi -= 1
            else:
                x = list(c)
                xi = i
            r -= c[1]
            i -= 1

    def count(self):
        return len(self.b) + int(self.n)

    def reset(self):
        self.l = []
        self.n = 0.0
        self.b = []

    def query(self, q):
        if not self.l:
            if not self.b:
                return 0.0
            i = int(math.ceil(len(self.b) * q))
            if i > 0:
                i -= 1
            self.maybe_sort()
            return self.b[i]
        self.flush()
        t = math.ceil(q * self.n)
        t += math.ceil(self.f(t) / 2)
        p = self.l[0]
        r = 0.0
        for c in self.l[1:]:
            r += p[1]
            if r + c[1] + c[2] > t:
                return p[0]
            p = c
        return p[0]


class Summary:
    def __init__(self, targets, max_age, age_buckets, buf_cap, now):
        self.targets = sorted(targets)
        self.buf_cap = buf_cap
        self.duration = max_age // age_buckets
        self.streams = [Stream(self.targets) for _ in range(age_buckets)]
        self.head = 0
        self.head_exp = now + self.duration
        self.hot_exp = self.head_exp
        self.hot = []
        self.cold = []
        self.cnt = 0
        self.sum = 0.0

    def swap(self, now):
        self.hot, self.cold = self.cold, self.hot
        while now > self.hot_exp:
            self.hot_exp += self.duration

    def flush_cold(self):
        for v in self.cold:
            for s in self.streams:
                s.insert(v)
            self.cnt += 1
            self.sum += v
        self.cold = []
        while self.hot_exp != self.head_exp:
            self.streams[self.head].reset()
            self.head = (self.head + 1) % len(self.streams)
            self.head_exp += self.duration

    def observe(self, v, now):
        if now > self.hot_exp:
            self.swap(now)
            self.flush_cold()
        self.hot.append(v)
        if len(self.hot) == self.buf_cap:
            self.swap(now)
            self.flush_cold()

    def write(self, now):
        self.swap(now)
        self.flush_cold()
        head = self.streams[self.head]
        qs = []
        for q, _ in self.targets:
            qs.append(float('nan') if head.count() == 0 else head.query(q))
        return self.cnt, self.sum, qs


def hexf(v):
    return float(v).hex()


def scenario(name, targets, max_age, age_buckets, buf_cap, events):
    print('new', name, max_age, age_buckets, buf_cap, ' '.join(f'{q!r}:{e!r}' for q, e in targets))
    s = Summary(targets, max_age, age_buckets, buf_cap, 0)
    for ev in events:
        if ev[0] == 'obs':
            s.observe(ev[2], ev[1])
            print('obs', ev[1], hexf(ev[2]))
        else:
            cnt, total, qs = s.write(ev[1])
            print('scrape', ev[1], cnt, hexf(total), ' '.join(hexf(q) for q in qs))


def main():
    rng = random.Random(42)
    default = [(0.5, 0.05), (0.9, 0.01), (0.99, 0.001)]
    sec = 1_000_000_000
    ten_min = 600 * sec

    scenario('small_exact', default, ten_min, 5, 500,
             [('obs', 1, 3.0), ('obs', 2, 1.0), ('obs', 3, 2.0), ('scrape', 4)])
    scenario('empty', default, ten_min, 5, 500, [('scrape', 10)])

    ev = [('obs', i, rng.lognormvariate(0, 1)) for i in range(1000)]
    scenario('lognormal_1000', default, ten_min, 5, 500, ev + [('scrape', 2000)])

    ev = []
    for i in range(5000):
        ev.append(('obs', i, rng.expovariate(0.1)))
        if i % 700 == 699:
            ev.append(('scrape', i))
    ev.append(('scrape', 6000))
    scenario('exp_5000_scraped', default, ten_min, 5, 500, ev)

    # Age buckets: 10 s max age in 5 buckets, observations over 40 s, scrapes every 3 s.
    ev = []
    t = 0
    for i in range(3000):
        t += rng.randint(1, 25_000_000)
        ev.append(('obs', t, rng.gauss(100, 15)))
        if i % 100 == 99:
            ev.append(('scrape', t + 1))
    ev.append(('scrape', t + 3 * sec))
    ev.append(('scrape', t + 11 * sec))
    scenario('rotating', default, 10 * sec, 5, 500, ev)

    ev = [('obs', i * 1000, float(rng.randint(0, 50))) for i in range(777)] + [('scrape', 10 ** 9)]
    scenario('custom_bufcap', [(0.25, 0.02), (0.75, 0.02), (0.5, 0.05)], 60 * sec, 3, 10, ev)

    ev = [('obs', i, float(i % 7)) for i in range(2500)] + [('scrape', 5000)]
    scenario('ties', default, ten_min, 5, 500, ev)


if __name__ == '__main__':
    main()
