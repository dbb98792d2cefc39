import Foundation
import Hummingbird
import Marts
import Staging
import State
import Synthea

/// The HTTP surface: probes, metrics, and the read-only marts API. Handlers read the loop's
/// ``ServiceStatus`` and open their own read snapshots of the state file; none touches the
/// consume loop's objects.
public struct APIRoutes: Sendable {
    public let status: ServiceStatus
    public let metrics: ServiceMetrics
    public let reader: StateReader
    /// With `--state-dir`: this instance's task files (`/api/v1/tasks`).
    public let tasks: TaskFilesAccess?
    /// With `--state-dir` and the instances topic: the merge of every instance's tasks
    /// (`?scope=cluster`).
    public let cluster: StateReader?
    /// Reports reused until the state moves (a dashboard asks every few seconds per viewer).
    let reports = DashboardReportCache()

    public init(status: ServiceStatus, metrics: ServiceMetrics, reader: StateReader, tasks: TaskFilesAccess? = nil, cluster: StateReader? = nil) {
        self.status = status
        self.metrics = metrics
        self.reader = reader
        self.tasks = tasks
        self.cluster = cluster
    }

    /// Largest number of quarantined records one request returns.
    static let maxQuarantine = 1_000

    public func add(to router: Router<BasicRequestContext>) {
        router.get("livez") { _, _ in
            let live = status.liveness
            return JSONResponse.make(["alive": live.alive, "reason": live.reason], status: live.alive ? .ok : .serviceUnavailable)
        }
        router.get("readyz") { _, _ in
            let ready = status.readiness
            return JSONResponse.make(["ready": ready.ready, "reason": ready.reason], status: ready.ready ? .ok : .serviceUnavailable)
        }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition(status: status, reader: reader))))
        }
        router.get("api/v1/status") { _, _ in try statusResponse() }
        router.get("api/v1/marts") { request, _ in try martsResponse(try scoped(request)) }
        router.get("api/v1/marts/:name") { request, context in
            let name = try context.parameters.require("name")
            if name.hasSuffix(".csv") { return try csvResponse(String(name.dropLast(4)), try scoped(request)) }
            return try pageResponse(name, request, try scoped(request))
        }
        router.get("api/v1/tasks") { _, _ in try taskListResponse() }
        router.get("api/v1/tasks/:name") { _, context in try taskFileResponse(try context.parameters.require("name")) }
        router.get("api/v1/quarantine") { request, _ in try quarantineResponse(request) }
        router.get("api/v1/report") { request, _ in try reportResponse(request, try scoped(request)) }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardPage.html)))
        }
    }

    // MARK: - Handlers

    func statusResponse() throws -> Response {
        let s = status.snapshot
        let ready = status.readiness
        var body: [String: Any] = [
            "ready": ready.ready, "reason": ready.reason, "consuming": s.consuming, "state": reader.path,
            "batches": s.batches, "records_per_second": s.ratePerSecond,
            "this_run": ["read": s.totals.read, "applied": s.totals.applied, "unchanged": s.totals.stale, "rejected": s.totals.rejected],
            "partitions": s.partitions.map { p -> [String: Any] in
                ["topic": p.topic, "partition": Int(p.partition), "stored_offset": p.storedOffset.map { NSNumber(value: $0) } ?? NSNull(),
                 "high_watermark": p.highWatermark.map { NSNumber(value: $0) } ?? NSNull(), "lag": p.lag.map { NSNumber(value: $0) } ?? NSNull()]
            },
        ]
        if let group = s.group { body["group"] = group }
        if let tasks = s.tasks {
            body["tasks"] = tasks
            body["restoring"] = s.restoring.keys.sorted().map { tp -> [String: Any] in
                ["topic": tp.topic, "partition": Int(tp.partition), "records_remaining": NSNumber(value: s.restoring[tp]!)]
            }
        }
        let stored = try? reader.read { db -> [String: Any] in
            var counters: [String: Any] = [:]
            for row in try db.prepare("SELECT name, value FROM counters ORDER BY name").rows() {
                counters[row[0].text ?? ""] = NSNumber(value: row[1].int ?? 0)
            }
            return ["counters": counters,
                    "schema_version": NSNumber(value: try db.scalar("PRAGMA user_version")?.int ?? 0),
                    "readmission_window_days": (try db.scalar("SELECT value FROM mart_settings WHERE name = 'readmission_window_days'")?.text)
                        .flatMap { Int64($0) }.map { NSNumber(value: $0) } ?? NSNull()]
        }
        if let stored { body.merge(stored) { $1 } } else { body["counters"] = [String: Any]() }
        return JSONResponse.make(body)
    }

    /// The marts a request reads: this instance's (`scope=instance`, the default) or the
    /// cluster's (`scope=cluster`).
    func scoped(_ request: Request) throws -> StateReader {
        switch request.uri.queryParameters.get("scope") {
        case nil, "instance": return reader
        case "cluster":
            guard let cluster else {
                throw BadRequest(message: "scope=cluster needs `emr consume --state-dir DIR --http ...` with the instances topic declared (every instance announces itself there)")
            }
            return cluster
        case let other?: throw BadRequest(message: "scope: '\(other.prefix(32))' must be instance or cluster")
        }
    }

    func martsResponse(_ reader: StateReader) throws -> Response {
        let marts = try reader.read { db in
            try MartCatalog.all.map { mart -> [String: Any] in
                let declared = Dictionary(uniqueKeysWithValues: try db.prepare("SELECT name, type FROM pragma_table_info(?1)")
                    .bind(.text(mart.name)).rows().map { ($0[0].text ?? "", $0[1].text ?? "") })
                return ["name": mart.name, "grain": mart.grain,
                        "rows": NSNumber(value: try db.scalar("SELECT count(*) FROM \(mart.name)")?.int ?? 0),
                        "columns": mart.columns.map { ["name": $0, "type": ColumnKind.of($0, declared: declared[$0] ?? "")] }]
            }
        }
        return JSONResponse.make(["marts": marts])
    }

    func pageResponse(_ name: String, _ request: Request, _ reader: StateReader) throws -> Response {
        guard let mart = MartCatalog.named(name) else { throw HTTPError(.notFound, message: "no mart named \(name)") }
        let query = request.uri.queryParameters
        let limit = try Self.limit(query.get("limit"), default: MartPages.defaultLimit, max: MartPages.maxLimit)
        let page = try reader.read { db in try MartPages.page(db, mart, limit: limit, after: query.get("after")) }
        return JSONResponse.make(["mart": mart.name, "columns": mart.columns, "rows": page.rows, "next": page.next ?? NSNull()])
    }

    /// The whole mart as `emr export` writes it, streamed in chunks from one read snapshot.
    func csvResponse(_ name: String, _ reader: StateReader) throws -> Response {
        guard let mart = MartCatalog.named(name) else { throw HTTPError(.notFound, message: "no mart named \(name)") }
        // Fail before the 200 header when the state file cannot be read.
        let snapshot = StateReader(path: try reader.currentFile())
        try snapshot.read { _ in }
        let body = ResponseBody { writer in
            let db = try snapshot.openSnapshot()
            defer { db.close() }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 16)
            CSVEncoding.append(mart.columns, to: &buffer)
            let statement = try db.prepare(MartExporter.selectSQL(mart))
            while try statement.step() {
                CSVEncoding.append((0..<mart.columns.count).map { MartExporter.field(statement.value($0)) }, to: &buffer)
                if buffer.count >= 1 << 16 {
                    try await writer.write(ByteBuffer(bytes: buffer))
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            if !buffer.isEmpty { try await writer.write(ByteBuffer(bytes: buffer)) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                               .contentDisposition: "attachment; filename=\"\(mart.name).csv\""], body: body)
    }

    func quarantineResponse(_ request: Request) throws -> Response {
        let limit = try Self.limit(request.uri.queryParameters.get("limit"), default: 20, max: Self.maxQuarantine)
        let rows = try reader.read { db in
            try db.prepare("""
                SELECT topic, partition, offset, stage, reasons, message_key, quarantined_at FROM quarantine ORDER BY id DESC LIMIT ?1
                """).bind(.integer(Int64(limit))).rows()
        }
        return JSONResponse.make(["records": rows.map { row -> [String: Any] in
            ["topic": row[0].text ?? "", "partition": NSNumber(value: row[1].int ?? 0), "offset": NSNumber(value: row[2].int ?? 0),
             "stage": row[3].text ?? "", "reasons": (row[4].text ?? "").split(separator: "\n").map(String.init),
             "key": MartPages.json(row[5]), "quarantined_at": row[6].text ?? ""]
        }])
    }

    /// Every dashboard figure for `from`..`to` (encounter start dates, inclusive, `YYYY-MM-DD`;
    /// open ends by default).
    func reportResponse(_ request: Request, _ reader: StateReader) throws -> Response {
        let query = request.uri.queryParameters
        let range = ReportRange(from: try Self.date(query.get("from"), "from"), to: try Self.date(query.get("to"), "to"))
        let report = try reader.read { db in try reports.report(db, range: range) }
        return JSONResponse.make(ReportJSON.object(report))
    }

    /// A calendar date `YYYY-MM-DD` (staging's rule), nil when absent or empty, else 400.
    static func date(_ text: String?, _ name: String) throws -> String? {
        guard let text, !text.isEmpty else { return nil }
        guard FieldParser.parse(text, as: .date) != nil else { throw BadRequest(message: "\(name): '\(text.prefix(32))' is not a date YYYY-MM-DD") }
        return text
    }

    /// `limit` from 1 to `max`, else 400.
    static func limit(_ text: String?, default value: Int, max: Int) throws -> Int {
        guard let text else { return value }
        guard let n = Int(text), (1...max).contains(n) else { throw BadRequest(message: "limit: '\(text.prefix(32))' must be a whole number from 1 to \(max)") }
        return n
    }
}

/// What a mart column holds, for API clients: exact money is `decimal` (a JSON string, never
/// rounded), dates and timestamps are strings, ages and durations `double`, counts `integer`.
enum ColumnKind {
    static let moneySuffixes = ["_cost", "_coverage", "_expenses", "revenue", "income"]

    static func of(_ column: String, declared: String) -> String {
        switch declared.uppercased() {
        case "INTEGER": return "integer"
        case "REAL": return "double"
        default:
            if moneySuffixes.contains(where: column.hasSuffix) { return "decimal" }
            if column.hasSuffix("_date") || column == "birth_date" || column == "death_date" || column == "encounter_month" { return "date" }
            if column.hasSuffix("_at") { return "timestamp" }
            if column == "lat" || column == "lon" { return "decimal" }
            return "text"
        }
    }
}
