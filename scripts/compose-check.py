#!/usr/bin/env python3
"""Reads the consumer service's HTTP surface for `make compose-test` (standard library only).

  compose-check.py BASE metric NAME         sum of a Prometheus metric's samples
  compose-check.py BASE counter NAME        a counter stored in the state file (/api/v1/status)
  compose-check.py BASE mart-rows           'mart rows' per line, from /api/v1/marts
  compose-check.py BASE mart-page NAME N    the number of rows on the first page of NAME (limit N)
Exits 1 with the reason on stderr when the service does not answer.
"""
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
            for mart in json.loads(get(base + "/api/v1/marts"))["marts"]:
                print(mart["name"], mart["rows"])
        elif what == "mart-page":
            page = json.loads(get("%s/api/v1/marts/%s?limit=%s" % (base, sys.argv[3], sys.argv[4])))
            print(len(page["rows"]))
        else:
            sys.exit("unknown check: " + what)
    except Exception as error:  # the caller retries or reports
        print("%s: %s" % (base, error), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
