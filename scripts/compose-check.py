#!/usr/bin/env python3
"""Reads the consumer service's HTTP surface for `make compose-test` (standard library only).

  compose-check.py BASE metric NAME         sum of a Prometheus metric's samples
  compose-check.py BASE counter NAME        a counter stored in the state file (/api/v1/status)
  compose-check.py BASE mart-rows [SCOPE]   'mart rows' per line, from /api/v1/marts
  compose-check.py BASE mart-page NAME N [SCOPE]  the number of rows on the first page of NAME (limit N)
  compose-check.py BASE tasks               the tasks the instance owns (/api/v1/status), one line
  compose-check.py BASE digest [SCOPE]      SHA-256 of the 11 marts' CSVs (NAME.csv), one line
SCOPE is instance (the default: the marts of this instance's tasks) or cluster (every instance's).
Exits 1 with the reason on stderr when the service does not answer.
"""
import hashlib
import json
import sys
import urllib.request


def get(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode("utf-8")


def main():
    base, what = sys.argv[1], sys.argv[2]
    try:
        if what == "metric":
            name = sys.argv[3]
            total = 0.0
            for line in get(base + "/metrics").splitlines():
                if line.startswith("#"):
                    continue
                metric = line.split("{")[0].split(" ")[0]
                if metric == name:
                    total += float(line.rsplit(" ", 1)[1])
            print(int(total) if total.is_integer() else total)
        elif what == "counter":
            status = json.loads(get(base + "/api/v1/status"))
            print(status.get("counters", {}).get(sys.argv[3], 0))
        elif what == "mart-rows":
            scope = sys.argv[3] if len(sys.argv) > 3 else "instance"
            for mart in json.loads(get(base + "/api/v1/marts?scope=" + scope))["marts"]:
                print(mart["name"], mart["rows"])
        elif what == "mart-page":
            scope = sys.argv[5] if len(sys.argv) > 5 else "instance"
            page = json.loads(get("%s/api/v1/marts/%s?limit=%s&scope=%s" % (base, sys.argv[3], sys.argv[4], scope)))
            print(len(page["rows"]))
        elif what == "tasks":
            print(" ".join(json.loads(get(base + "/api/v1/status")).get("tasks", [])))
        elif what == "digest":
            scope = sys.argv[3] if len(sys.argv) > 3 else "instance"
            digest = hashlib.sha256()
            for mart in sorted(m["name"] for m in json.loads(get(base + "/api/v1/marts"))["marts"]):
                digest.update(mart.encode() + b"\n" + get("%s/api/v1/marts/%s.csv?scope=%s" % (base, mart, scope)).encode())
            print(digest.hexdigest())
        else:
            sys.exit("unknown check: " + what)
    except Exception as error:  # the caller retries or reports
        print("%s: %s" % (base, error), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
