import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Marts
import State
import Testing

/// `emr consume --http` and `emr serve` over TCP: probes, Prometheus metrics (checked by
/// promtool), the marts API against `emr export`, bad requests, the bearer token, shutdown.
@Suite("HTTP service: probes, metrics, marts API", .serialized)
struct HTTPServiceTests {
    struct Reply {
        var status: Int
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    static func get(_ url: String, token: String? = nil, timeout: Double = 30) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = timeout
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    /// The port a process bound (port 0), from its "serving on" log line.
    static func port(of process: ConsumerProcess) -> Int? {
        guard process.wait(seconds: 30, until: { process.stderr.contains("serving on http://") }) else { return nil }
        return process.stderr.firstMatch(of: /serving on http:\/\/127\.0\.0\.1:(\d+)/).map { Int($0.1)! }
    }

    /// Sum of a metric's samples in an exposition.
    static func sum(_ metric: String, in text: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(metric + "{") || $0.hasPrefix(metric + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    @Test("a real stream: readiness 503 then 200, lag 0 and records_total = produced once caught up, promtool accepts /metrics, SIGTERM exits 0")
    func probesAndMetrics() async throws {
        let work = try temporaryDirectory("http-probes")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let state = "\(work)/state.sqlite"
        let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--http", "127.0.0.1:0"],
                                           logs: "\(work)/consumer")
        let port = try #require(Self.port(of: consumer), "no serving line: \(consumer.stderr.suffix(1_000))")
        let base = "http://127.0.0.1:\(port)"
        let first = try await Self.get("\(base)/readyz")
        #expect(first.status == 503 && first.json["ready"] as? Bool == false && !(first.json["reason"] as? String ?? "").isEmpty, "\(first.text)")
        #expect(try await Self.get("\(base)/livez").status == 200)

        let produced = try generateAndProduce(work, patients: 25, organizations: 3, seed: 21, broker)
        var metrics = ""
        var ready = false
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            ready = try await Self.get("\(base)/readyz").status == 200
            metrics = try await Self.get("\(base)/metrics").text
            if ready, Self.sum("emr_records_total", in: metrics) == Double(produced), Self.sum("emr_consumer_lag", in: metrics) == 0,
               metrics.contains("emr_consumer_lag{") { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(ready, "never ready: \(consumer.stderr.suffix(1_000))")
        #expect(Self.sum("emr_records_total", in: metrics) == Double(produced), "records_total vs \(produced) produced")
        #expect(metrics.contains("emr_records_total{entity=\"patients\",outcome=\"applied\"}"), "records by entity and outcome")
        #expect(metrics.contains("emr_consumer_lag{") && Self.sum("emr_consumer_lag", in: metrics) == 0, "lag not 0 when caught up")
        for name in ["emr_consumer_offset", "emr_batch_duration_seconds_bucket", "emr_batch_records_bucket", "emr_mart_rows",
                     "emr_quarantined_records", "emr_dead_letters_total", "emr_ready 1", "emr_last_ingested_timestamp_seconds",
                     "process_resident_memory_bytes", "process_cpu_seconds_total"] {
            #expect(metrics.contains(name), "\(name) missing from /metrics")
        }
        #expect(Self.sum("emr_mart_rows", in: metrics) > 0)
        let promtool = try run(try executableOnPath("promtool"), ["check", "metrics"], input: metrics)
        #expect(promtool.status == 0, "promtool check metrics: \(promtool.stdout) \(promtool.stderr)")

        let status = try await Self.get("\(base)/api/v1/status").json
        #expect(status["ready"] as? Bool == true && status["group"] as? String == "emr-consumer")
        #expect((status["counters"] as? [String: Any])?["records_read"] as? Int == Int(produced), "\(status)")
        #expect((status["partitions"] as? [[String: Any]])?.count == 28 && status["readmission_window_days"] as? Int == 7
                && status["schema_version"] as? Int == MartSchema.migrations.count, "\(status)")

        kill(consumer.process.processIdentifier, SIGTERM)
        #expect(consumer.exitStatus(within: 15) == 0, "\(consumer.stderr.suffix(1_000))")
        #expect(consumer.stdout.contains("consume: read \(produced)") && consumer.stdout.contains("stopped by a shutdown signal"), "\(consumer.stdout)")
    }

    @Test("the .csv endpoint read while the consumer writes: every mart streams whole (header, complete rows, unique grain), row counts never go back")
    func csvWhileWriting() async throws {
        let work = try temporaryDirectory("http-writing")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        try emr(["generate", "--out", "\(work)/export", "--patients", "60", "--organizations", "5", "--seed", "24"])
        let producer = Process()
        producer.executableURL = try emrExecutable()
        producer.arguments = ["produce", "--export", "\(work)/export", "--all-facilities", "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                              "--rate", "1500"]
        producer.standardOutput = FileHandle.nullDevice
        producer.standardError = FileHandle.nullDevice
        try producer.run()
        defer { if producer.isRunning { producer.terminate() } }
        let state = "\(work)/state.sqlite"
        let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--http", "127.0.0.1:0",
                                            "--batch-size", "100"], logs: "\(work)/consumer")
        let port = try #require(Self.port(of: consumer))
        #expect(consumer.wait(seconds: 60) { ((try? recordsRead(state)) ?? 0) > 0 })
        var previous: [String: Int] = [:]
        var rounds = 0
        while producer.isRunning || rounds < 2 {
            rounds += 1
            for mart in MartCatalog.all {
                let reply = try await Self.get("http://127.0.0.1:\(port)/api/v1/marts/\(mart.name).csv")
                #expect(reply.status == 200, "\(mart.name): \(reply.status)")
                let rows = try CSVRows.parse(reply.body)
                #expect(rows.first == mart.columns, "\(mart.name): header")
                #expect(rows.dropFirst().allSatisfy { $0.count == mart.columns.count }, "\(mart.name): a row with missing fields")
                let grain = mart.grain.map { mart.columns.firstIndex(of: $0)! }
                let keys = rows.dropFirst().map { row in grain.map { row[$0] }.joined(separator: "\u{1F}") }
                #expect(Set(keys).count == keys.count, "\(mart.name): a grain key twice")
                if ["fact_patient_encounters", "fact_patient_conditions", "fact_patient_medications", "dim_patients"].contains(mart.name) {
                    #expect(keys.count >= previous[mart.name, default: 0], "\(mart.name): \(keys.count) rows after \(previous[mart.name, default: 0])")
                }
                previous[mart.name] = keys.count
            }
            if rounds > 200 { break }
        }
        #expect(rounds >= 2, "no reads happened during the stream")
        kill(consumer.process.processIdentifier, SIGTERM)
        #expect(consumer.exitStatus(within: 15) == 0)
    }

    @Test("SIGTERM mid-stream with --http: /readyz never answers 200 again, the batch commits, exit 0 within 10 s, a restart reads exactly the rest")
    func gracefulShutdown() async throws {
        let work = try temporaryDirectory("http-term")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let produced = try generateAndProduce(work, patients: 150, organizations: 12, seed: 23, broker)
        let state = "\(work)/state.sqlite"
        let arguments = ["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--group", "term", "--http", "127.0.0.1:0"]
        let consumer = try ConsumerProcess(arguments + ["--batch-size", "40"], logs: "\(work)/first")
        let port = try #require(Self.port(of: consumer))
        let busy = consumer.wait(seconds: 60) { ((try? recordsRead(state)) ?? 0) > 200 }
        #expect(busy, "no batch applied: \(consumer.stderr.suffix(1_000))")
        kill(consumer.process.processIdentifier, SIGTERM)
        let signalled = Date()
        // From the signal on, readiness is never 200 (503 while the batch commits, then the server is gone).
        while consumer.process.isRunning, Date().timeIntervalSince(signalled) < 10 {
            // Short timeouts: a request caught by the server's shutdown must not hold the loop.
            if let reply = try? await Self.get("http://127.0.0.1:\(port)/readyz", timeout: 1) {
                #expect(reply.status == 503, "ready after SIGTERM: \(reply.text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let status = consumer.exitStatus(within: 10)
        let stoppedIn = consumer.exitedAt.map { $0.timeIntervalSince(signalled) }
        #expect(status == 0 && (stoppedIn ?? .infinity) < 12,
                "exit \(status.map(String.init) ?? "none") after \(stoppedIn.map { String(format: "%.1f s", $0) } ?? "?"): \(consumer.stderr.suffix(1_000))")
        let first = try recordsRead(state)
        #expect(consumer.stdout.contains("consume: read \(first)") && first < produced, "\(consumer.stdout) / committed \(first) of \(produced)")
        let restart = try emr(["consume"] + arguments.dropLast(2) + ["--exit-when-caught-up", "--quiet-period", "1"])
        #expect(restart.stdout.contains("consume: read \(produced - first) "), "the restart must read exactly the rest: \(restart.stdout)")
        #expect(try recordsRead(state) == produced)
    }

    @Test("the marts API: paged JSON equals the CSV export row for row, the .csv endpoint is byte-identical to emr export; bad requests and the token")
    func martsAPI() async throws {
        let work = try temporaryDirectory("http-api")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        _ = try generateAndProduce(work, patients: 30, organizations: 4, seed: 22, broker)
        let state = "\(work)/state.sqlite"
        try consume(state, broker, group: "g")
        try emr(["export", "--state", state, "--out", "\(work)/export-csv"])
        try Data("s3cret-token\n".utf8).write(to: URL(fileURLWithPath: "\(work)/token"))
        let server = try ConsumerProcess(["--state", state, "--http", "127.0.0.1:0", "--http-token-file", "\(work)/token"],
                                         logs: "\(work)/serve", command: "serve")
        let port = try #require(Self.port(of: server), "\(server.stderr.suffix(1_000))")
        let base = "http://127.0.0.1:\(port)", token = "s3cret-token"

        let listing = try await Self.get("\(base)/api/v1/marts", token: token).json
        let marts = try #require(listing["marts"] as? [[String: Any]])
        #expect(marts.map { $0["name"] as? String } == MartCatalog.all.map(\.name))
        for mart in MartCatalog.all {
            let csv = try Data(contentsOf: URL(fileURLWithPath: "\(work)/export-csv/\(mart.name).csv"))
            let streamed = try await Self.get("\(base)/api/v1/marts/\(mart.name).csv", token: token)
            #expect(streamed.status == 200 && streamed.body == csv, "\(mart.name).csv differs from emr export")
            let lines = String(decoding: csv, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect((marts.first { $0["name"] as? String == mart.name }?["rows"] as? Int) == lines.count - 1, "\(mart.name) rows")

            // Pages of a random size, concatenated, equal the export (values compared as the export writes them).
            var rows: [[String: Any]] = []
            var after: String?
            let limit = Int.random(in: 1...400)
            repeat {
                let page = try await Self.get("\(base)/api/v1/marts/\(mart.name)?limit=\(limit)" + (after.map { "&after=\($0)" } ?? ""), token: token)
                #expect(page.status == 200, "\(page.text)")
                rows += page.json["rows"] as? [[String: Any]] ?? []
                after = page.json["next"] as? String
            } while after != nil
            #expect(rows.count == lines.count - 1, "\(mart.name): \(rows.count) rows paged, \(lines.count - 1) exported")
            if mart.storage == .byKeyID {
                // Facts page in storage order (their key ids), the export in grain order.
                let grain = { (row: [String: Any]) in mart.grain.map { row[$0] as? String ?? "" } }
                rows.sort { grain($0).lexicographicallyPrecedes(grain($1)) }
            }
            let exported = try CSVRows.parse(csv)
            for (index, (row, fields)) in zip(rows, exported.dropFirst()).enumerated() {
                for (column, field) in zip(mart.columns, fields) {
                    let value = row[column]
                    if !JSONValues.same(value, field) { Issue.record("\(mart.name) row \(index) \(column): API \(String(describing: value)) vs export '\(field)'"); break }
                }
            }
        }

        // Bad requests: JSON errors, never a crash.
        for (path, expected) in [("/api/v1/marts/no_such_mart", 404), ("/nowhere", 404), ("/api/v1/marts/dim_patients?limit=0", 400),
                                 ("/api/v1/marts/dim_patients?limit=1001", 400), ("/api/v1/marts/dim_patients?limit=x", 400),
                                 ("/api/v1/marts/dim_patients?after=bm90LWEtY3Vyc29y", 400), ("/api/v1/marts/dim_patients?after=%25%25", 400),
                                 ("/api/v1/marts/fact_patient_encounters?after=WyJhYmMiXQ", 400),
                                 ("/api/v1/quarantine?limit=-3", 400), ("/api/v1/report?from=2015-02-30", 400), ("/api/v1/report?to=2020-1-5", 400)] {
            let reply = try await Self.get(base + path, token: token)
            #expect(reply.status == expected && reply.json["error"] is String, "\(path): \(reply.status) \(reply.text)")
        }
        // The token: the API needs it, the probes and metrics do not, and it never reaches the log.
        #expect(try await Self.get("\(base)/api/v1/marts").status == 401)
        #expect(try await Self.get("\(base)/api/v1/marts", token: "wrong").status == 401)
        #expect(try await Self.get("\(base)/api/v1/quarantine", token: token).status == 200)
        #expect(try await Self.get("\(base)/").status == 401)
        #expect(try await Self.get("\(base)/?token=wrong").status == 401)
        let page = try await Self.get("\(base)/?token=\(token)")
        #expect(page.status == 200 && page.text.contains("data-metric=\"encounters\""))
        #expect(try await Self.get("\(base)/api/v1/marts?token=\(token)").status == 401, "the query token is for the page only")
        for open in ["/livez", "/readyz", "/metrics"] { #expect(try await Self.get(base + open).status == 200, "\(open)") }
        #expect(!server.stderr.contains(token))

        // A taken port: exit 1 at once, one line naming the address.
        let taken = try run(try emrExecutable(), ["serve", "--state", state, "--http", "127.0.0.1:\(port)"])
        #expect(taken.status == 1 && taken.stderr.contains("127.0.0.1:\(port)") && taken.stderr.contains("address already in use"), "\(taken.stderr)")
        let usage = try run(try emrExecutable(), ["serve", "--state", state, "--http", "nonsense"])
        #expect(usage.status == 2, "\(usage.stderr)")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(server.exitStatus(within: 15) == 0)

        // emr verify notices one tampered mart row: exit 1, the mart named.
        do {
            let db = try SQLiteDatabase(path: state)
            try db.execute("UPDATE dim_providers SET name = 'Tampered' WHERE provider_id = (SELECT min(provider_id) FROM dim_providers)")
            db.close()
        }
        let verify = try run(try emrExecutable(), ["verify", "--state", state])
        #expect(verify.status == 1 && verify.stdout.contains("dim_providers") && verify.stdout.contains("DIFFERS: 1 rows missing, 1 unexpected")
                && verify.stderr.contains("1 of"), "\(verify.stdout) \(verify.stderr)")
    }
}

/// A small RFC 4180 parser for checking exports (quoted fields with commas, quotes, newlines).
enum CSVRows {
    static func parse(_ data: Data) throws -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var iterator = String(decoding: data, as: UTF8.self).makeIterator()
        var pending: Character?
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { row.append(field); field = "" }
            else if c == "\n" { row.append(field); rows.append(row); row = []; field = "" }
            else { field.append(c) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

/// A JSON value (as Foundation parsed it) against the CSV export's field for it.
enum JSONValues {
    static func same(_ value: Any?, _ field: String) -> Bool {
        switch value {
        case let text as String: text == field
        // Foundation on Linux parses long decimals as NSDecimalNumber (exact digits).
        case let decimal as NSDecimalNumber: Decimal(string: field) == decimal.decimalValue
        case let number as Int: Int(field) == number
        case let number as Double: Double(field) == number
        case let number as NSNumber: Double(field).map { $0 == number.doubleValue } ?? false
        default: field.isEmpty
        }
    }
}
