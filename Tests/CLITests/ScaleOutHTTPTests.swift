import Foundation
import Marts
import State
import TestSupport
import Testing

/// The HTTP side of scale-out (issue 14, docs/scaling.md): restore on /readyz and in metrics,
/// an instance's merged view of its own tasks, the cluster view through the instances topic,
/// `emr serve --state-dir`, scheduled snapshots of a state directory.
@Suite("Scale-out over HTTP: restore reporting, instance and cluster views", .serialized)
struct ScaleOutHTTPTests {
    typealias HTTP = HTTPServiceTests

    /// Every mart's CSV as served at `base` with `query` equals the export in `directory`.
    static func servedMartsEqual(_ base: String, query: String, _ directory: String) async throws -> [String] {
        var differing: [String] = []
        for mart in MartCatalog.all {
            let reply = try await HTTP.get("\(base)/api/v1/marts/\(mart.name).csv\(query)")
            let exported = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(mart.name).csv"))
            if reply.status != 200 || reply.body != exported { differing.append("\(mart.name) (\(reply.status), \(reply.body.count) vs \(exported.count) bytes)") }
        }
        return differing
    }

    static func dataRows(_ csv: Data) -> Int { max(0, String(decoding: csv, as: UTF8.self).split(separator: "\n").count - 1) }

    @Test("two instances with --http and --state-dir: /readyz and emr_restore_records_remaining report a restore; each serves the merge of its own tasks; ?scope=cluster from either equals one consumer's export byte for byte, and still does after one stops (its tombstone); emr serve --state-dir and snapshots of a state dir")
    func instanceAndClusterViews() async throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("scale-http")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let produced = try generateAndProduce(work, patients: 100, organizations: 8, seed: seed, broker)
        func instance(_ name: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> ConsumerProcess {
            try ConsumerProcess(["--state-dir", "\(work)/\(name)", "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--group", "web",
                                 "--batch-size", "100", "--http", "127.0.0.1:0"] + extra, logs: "\(work)/\(name)", environment: environment)
        }
        // Batch 2 is held open until the test has seen the restore in progress (at most 600 s:
        // at the start of a full run the suite's other tests have kept this one's task from
        // running for over 120 s; the hold ends as soon as the restore has been seen).
        let release = "\(work)/release-hold"
        let a = try instance("a", ["--snapshot-every", "1s", "--snapshot-dir", "\(work)/snapshots"],
                             environment: ["EMR_FAULT_HOLD_BEFORE_COMMIT": "2:600:\(release)"])
        let portA = try #require(HTTP.port(of: a), "\(context): \(a.stderr.suffix(1_000))")
        let baseA = "http://127.0.0.1:\(portA)"
        var restoring = (ready: HTTP.Reply(status: 0, body: Data()), remaining: 0.0)
        var lastSeen = "no answer yet"
        let restoreDeadline = Date().addingTimeInterval(600)
        while Date() < restoreDeadline {
            let ready = try await HTTP.get("\(baseA)/readyz")
            let remaining = HTTP.sum("emr_restore_records_remaining", in: try await HTTP.get("\(baseA)/metrics").text)
            lastSeen = "readyz \(ready.status) \(ready.text), emr_restore_records_remaining \(remaining), at \(Date())"
            if (ready.json["reason"] as? String ?? "").hasPrefix("restoring tasks"), remaining > 0 { restoring = (ready, remaining); break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(restoring.ready.status == 503, "\(context): never seen restoring; last seen: \(lastSeen); \(a.stderr.suffix(1_000))")
        #expect(restoring.remaining > 0 && restoring.remaining <= Double(produced), "\(context): \(restoring.remaining) of \(produced) remaining")
        _ = FileManager.default.createFile(atPath: release, contents: nil)

        let b = try instance("b")
        let portB = try #require(HTTP.port(of: b), "\(context): \(b.stderr.suffix(1_000))")
        let baseB = "http://127.0.0.1:\(portB)"
        /// Why the two are not yet ready, caught up and sharing the 8 tasks; nil once they are.
        func unsettled() async throws -> String? {
            for base in [baseA, baseB] {
                let ready = try await HTTP.get("\(base)/readyz")
                guard ready.status == 200 else { return "\(base): \(ready.text)" }
                let metrics = try await HTTP.get("\(base)/metrics").text
                let lag = HTTP.sum("emr_consumer_lag", in: metrics), remaining = HTTP.sum("emr_restore_records_remaining", in: metrics)
                guard metrics.contains("emr_consumer_lag{"), lag == 0, remaining == 0 else { return "\(base): lag \(lag), restore remaining \(remaining)" }
            }
            let tasks = try await [baseA, baseB].asyncMap { try await HTTP.get("\($0)/api/v1/status").json["tasks"] as? [String] ?? [] }
            let shared = Set(tasks[0]).isDisjoint(with: tasks[1]) && tasks[0].count + tasks[1].count == 8 && !tasks[0].isEmpty && !tasks[1].isEmpty
            return shared ? nil : "tasks \(tasks)"
        }
        var why: String? = "not asked"
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, why != nil {
            why = try await unsettled()
            if why != nil { try await Task.sleep(for: .milliseconds(300)) }
        }
        #expect(why == nil, "\(context): the two instances never shared the 8 tasks, caught up: \(why ?? "") \(a.stderr.suffix(800)) \(b.stderr.suffix(800))")
        #expect(a.stderr.contains("restored task"), "\(context): no restore logged with its rate")

        try emr(["consume", "--state", "\(work)/single.sqlite", "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                 "--group", "single", "--exit-when-caught-up", "--quiet-period", "1"])
        #expect(try recordsRead("\(work)/single.sqlite") == produced, "\(context)")
        try emr(["export", "--state", "\(work)/single.sqlite", "--out", "\(work)/single"])

        // Each instance serves its own tasks: together every patient once.
        let single = try Data(contentsOf: URL(fileURLWithPath: "\(work)/single/dim_patients.csv"))
        let rowsA = Self.dataRows(try await HTTP.get("\(baseA)/api/v1/marts/dim_patients.csv").body)
        let rowsB = Self.dataRows(try await HTTP.get("\(baseB)/api/v1/marts/dim_patients.csv?scope=instance").body)
        #expect(rowsA > 0 && rowsB > 0 && rowsA + rowsB == Self.dataRows(single), "\(context): \(rowsA) + \(rowsB) patients")
        // The cluster view, asked of either instance, is one consumer's marts.
        for base in [baseA, baseB] {
            let differing = try await Self.servedMartsEqual(base, query: "?scope=cluster", "\(work)/single")
            #expect(differing.isEmpty, "\(context): cluster view of \(base) differs: \(differing)")
        }
        let page = try await HTTP.get("\(baseA)/api/v1/marts/dim_patients?scope=cluster&limit=1000")
        #expect((page.json["rows"] as? [Any])?.count == Self.dataRows(single), "\(context): \(page.text.prefix(300))")
        #expect(try await HTTP.get("\(baseA)/api/v1/marts/dim_patients?scope=galaxy").status == 400)
        #expect(try await HTTP.get("\(baseA)/api/v1/tasks/..%2Fsingle").status == 404)

        // B leaves: its tombstone removes it at once (a stale announcement would fail cluster
        // requests until 30 s after its last announcement), and A takes its tasks back.
        let stopped = Date()
        kill(b.process.processIdentifier, SIGTERM)
        #expect(b.exitStatus(within: 30) == 0, "\(context): \(b.stderr.suffix(1_000))")
        // Past the cluster view's cache (2 s), so the answers below are gathered anew.
        try await Task.sleep(for: .seconds(3))
        var differing = ["not asked"]
        while Date().timeIntervalSince(stopped) < 20, !differing.isEmpty {
            differing = try await Self.servedMartsEqual(baseA, query: "?scope=cluster", "\(work)/single")
            if !differing.isEmpty { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(differing.isEmpty, "\(context): A alone: \(differing) \(a.stderr.suffix(800))")

        // Snapshots of a state directory: the instance's merge, named as such.
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(work)/snapshots/latest/manifest.json"))) as? [String: Any]
        let source = manifest?["state"] as? String
        #expect(source?.hasPrefix("merge of this instance's tasks") == true, "\(context): \(manifest ?? [:])")
        kill(a.process.processIdentifier, SIGTERM)
        #expect(a.exitStatus(within: 30) == 0, "\(context): \(a.stderr.suffix(1_000))")

        // emr serve over both directories: the furthest copy of each task, merged.
        let serve = try ConsumerProcess(["--state-dir", "\(work)/a", "--state-dir", "\(work)/b", "--http", "127.0.0.1:0"], logs: "\(work)/serve", command: "serve")
        let portS = try #require(HTTP.port(of: serve), "\(context): \(serve.stderr.suffix(1_000))")
        let served = try await Self.servedMartsEqual("http://127.0.0.1:\(portS)", query: "", "\(work)/single")
        #expect(served.isEmpty, "\(context): emr serve --state-dir: \(served)")
        // The dashboard's report over the merge counts every encounter of the single consumer.
        let report = try await HTTP.get("http://127.0.0.1:\(portS)/api/v1/report").json
        let encounters = Self.dataRows(try Data(contentsOf: URL(fileURLWithPath: "\(work)/single/fact_patient_encounters.csv")))
        #expect(encounters > 0 && (report["encounters"] as? NSNumber)?.intValue == encounters,
                "\(context): emr serve --state-dir report: \(report["encounters"] ?? "none") encounters, one consumer \(encounters)")
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(serve.exitStatus(within: 15) == 0)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
