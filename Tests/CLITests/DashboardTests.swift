import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Marts
import State
import Testing

/// The dashboard in a real browser (headless Chromium) against a consumer fed by the producer:
/// what the page shows equals `/api/v1/report`, which equals SQL over the marts written here,
/// independently of the report's own queries.
@Suite("Dashboard: browser, report endpoint and the marts agree", .serialized)
struct DashboardTests {
    typealias Groups = [String: [String: Int64]]

    @Test("every panel's figures equal the report endpoint's, which equal SQL over the marts; data-metric=encounters is the encounters mart's row count")
    func dashboardInBrowser() async throws {
        let work = try temporaryDirectory("dashboard")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let state = "\(work)/state.sqlite"
        let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--http", "127.0.0.1:0"],
                                           logs: "\(work)/consumer")
        let port = try #require(HTTPServiceTests.port(of: consumer), "\(consumer.stderr.suffix(1_000))")
        let base = "http://127.0.0.1:\(port)"
        let produced = try generateAndProduce(work, patients: 40, organizations: 4, seed: 31, broker)
        let caughtUp = consumer.wait(seconds: 120) { ((try? recordsRead(state)) ?? 0) == produced }
        #expect(caughtUp, "\(consumer.stderr.suffix(1_000))")

        let chromium = try executableOnPath("chromium")
        let page = try run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=6000", "--dump-dom", base + "/"])
        #expect(page.status == 0, "\(page.stderr.suffix(500))")
        let dom = page.stdout
        #expect(dom.contains("data-loaded=\"true\""), "the page never finished loading its data: \(dom.suffix(500))")

        let db = try StateStore(readingExisting: state, migrations: MartSchema.migrations).database
        let encounterRows = try #require(try db.scalar("SELECT count(*) FROM fact_patient_encounters")?.int)
        let shown = dom.firstMatch(of: /data-metric="encounters"[^>]*>([\d,]+)</).map { Int64($0.1.replacingOccurrences(of: ",", with: "")) }
        #expect(shown == encounterRows, "data-metric=encounters shows \(String(describing: shown)), the mart has \(encounterRows) rows")

        let report = try #require(try await HTTPServiceTests.get(base + "/api/v1/report").json as [String: Any]?)
        let sql = try Self.expected(db, from: nil, to: nil)
        try Self.expectReport(report, equals: sql, context: "all time")
        try Self.expectPage(dom, shows: report)

        // A date range: the report follows it, and still equals SQL.
        let ranged = try await HTTPServiceTests.get(base + "/api/v1/report?from=2012-03-01&to=2018-06-30").json
        try Self.expectReport(ranged, equals: try Self.expected(db, from: "2012-03-01", to: "2018-06-30"), context: "2012-03-01..2018-06-30")
        db.close()
        kill(consumer.process.processIdentifier, SIGTERM)
        #expect(consumer.exitStatus(within: 15) == 0)
    }

    /// The report's figures as plain SQL over the row-level marts (not the report's queries).
    struct Expected {
        var classes: [String: (encounters: Int64, patients: Int64, cost: Decimal, readmissions: Int64, stay: Double?)] = [:]
        var encounters: Int64 = 0
        var patients: Int64 = 0
        var byAge: Groups = [:]
        var months: Groups = [:]
        var medications: Groups = [:]
        var diagnoses: [String: [(String, Int64)]] = [:]
    }

    static func expected(_ db: SQLiteDatabase, from: String?, to: String?) throws -> Expected {
        let range = "start_date BETWEEN '\(from ?? "0000-01-01")' AND '\(to ?? "9999-12-31")'"
        var e = Expected()
        for row in try db.prepare("""
            SELECT encounter_class, count(*), count(DISTINCT patient_id), group_concat(total_claim_cost, '|'),
                   sum(days_between_encounters IS NOT NULL AND days_between_encounters <= 7), avg(encounter_duration_days)
            FROM fact_patient_encounters WHERE \(range) GROUP BY 1
            """).rows() {
            let cost = (row[3].text ?? "").split(separator: "|").compactMap { Decimal(string: String($0)) }.reduce(0, +)
            e.classes[row[0].text!] = (row[1].int!, row[2].int!, cost, row[4].int ?? 0, row[5].double)
        }
        e.encounters = try db.scalar("SELECT count(*) FROM fact_patient_encounters WHERE \(range)")?.int ?? 0
        e.patients = try db.scalar("SELECT count(DISTINCT patient_id) FROM fact_patient_encounters WHERE \(range)")?.int ?? 0
        for row in try db.prepare("SELECT age_group_description, encounter_class, count(*) FROM fact_patient_encounters WHERE \(range) GROUP BY 1, 2").rows() {
            e.byAge[row[0].text!, default: [:]][row[1].text!] = row[2].int!
        }
        for row in try db.prepare("SELECT CAST(substr(start_date, 6, 2) AS INTEGER), encounter_class, count(*) FROM fact_patient_encounters WHERE \(range) GROUP BY 1, 2").rows() {
            e.months[DashboardReport.monthNames[Int(row[0].int!) - 1], default: [:]][row[1].text!] = row[2].int!
        }
        for row in try db.prepare("""
            SELECT coalesce(medication_description, ''), age_group_description, sum(dispenses) FROM fact_patient_medications WHERE \(range) GROUP BY 1, 2
            """).rows() {
            e.medications[row[0].text!, default: [:]][row[1].text!] = row[2].int!
        }
        for row in try db.prepare("""
            SELECT encounter_class, condition_description, count(*) FROM fact_patient_conditions
            WHERE \(range) AND condition_description_type = 'disorder' AND encounter_class IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2
            """).rows() {
            e.diagnoses[row[0].text!, default: []].append((row[1].text!, row[2].int!))
        }
        return e
    }

    static func groups(_ value: Any?, key: String) -> Groups {
        var out: Groups = [:]
        for group in value as? [[String: Any]] ?? [] {
            let label = group[key] as? String ?? ""
            for count in group["counts"] as? [[String: Any]] ?? [] {
                out[label, default: [:]][count["label"] as? String ?? ""] = (count["value"] as? NSNumber)?.int64Value ?? -1
            }
        }
        return out
    }

    static func expectReport(_ report: [String: Any], equals e: Expected, context: String) throws {
        #expect((report["encounters"] as? NSNumber)?.int64Value == e.encounters && (report["patients"] as? NSNumber)?.int64Value == e.patients, "\(context)")
        let classes = report["classes"] as? [[String: Any]] ?? []
        #expect(classes.count == e.classes.count, "\(context): \(classes.count) classes, SQL \(e.classes.count)")
        for c in classes {
            let name = c["encounter_class"] as? String ?? ""
            guard let x = e.classes[name] else { Issue.record("\(context): class \(name) not in SQL"); continue }
            #expect((c["encounters"] as? NSNumber)?.int64Value == x.encounters && (c["patients"] as? NSNumber)?.int64Value == x.patients, "\(context): \(name)")
            #expect(Decimal(string: c["total_claim_cost"] as? String ?? "") == x.cost, "\(context): \(name) cost \(c["total_claim_cost"] ?? "") vs \(x.cost)")
            #expect((c["readmissions"] as? NSNumber)?.int64Value == x.readmissions, "\(context): \(name) readmissions")
            let rate = (c["readmission_rate_percent"] as? NSNumber)?.doubleValue ?? -1
            #expect(abs(rate - Double(x.readmissions) * 100 / Double(x.encounters)) < 1e-9, "\(context): \(name) rate")
            let stay = (c["average_length_of_stay_days"] as? NSNumber)?.doubleValue
            #expect(stay.map { abs($0 - (x.stay ?? .nan)) < 1e-9 } ?? (x.stay == nil), "\(context): \(name) stay \(String(describing: stay)) vs \(String(describing: x.stay))")
        }
        #expect(groups(report["classes_by_age_group"], key: "age_group") == e.byAge, "\(context): classes by age group")
        #expect(groups(report["months_of_year"], key: "month").filter { !$0.value.isEmpty } == e.months, "\(context): months")
        let medications = groups(report["top_medications_by_age_group"], key: "medication")
        let ranked = e.medications.map { ($0.key, $0.value.values.reduce(0, +)) }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
        #expect(Set(medications.keys) == Set(ranked.prefix(medications.count).map(\.0)) && medications.count == min(8, ranked.count), "\(context): top medications")
        for (name, counts) in medications { #expect(counts == e.medications[name], "\(context): \(name) by age group") }
        for group in report["top_diagnoses_by_class"] as? [[String: Any]] ?? [] {
            let name = group["encounter_class"] as? String ?? ""
            let shown = (group["counts"] as? [[String: Any]] ?? []).map { ($0["label"] as? String ?? "", ($0["value"] as? NSNumber)?.int64Value ?? -1) }
            let sql = Array((e.diagnoses[name] ?? []).prefix(5))
            #expect(shown.map(\.0) == sql.map(\.0) && shown.map(\.1) == sql.map(\.1), "\(context): diagnoses of \(name)")
        }
    }

    /// The page's data attributes equal the report.
    static func expectPage(_ dom: String, shows report: [String: Any]) throws {
        func unescape(_ s: Substring) -> String {
            s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        }
        func panel(_ name: String) -> Groups {
            var out: Groups = [:]
            for svg in dom.matches(of: try! Regex("<svg[^>]*data-panel=\"\(name)\"[^>]*>(.*?)</svg>").dotMatchesNewlines()) {
                let body = String(svg.output[1].substring ?? "")
                for g in body.matches(of: /<g data-group="([^"]*)" data-total="\d+">(.*?)<\/g>/.dotMatchesNewlines()) {
                    for r in g.output.2.matches(of: /data-label="([^"]*)" data-value="(\d+)"/) { out[unescape(g.output.1), default: [:]][unescape(r.output.1)] = Int64(r.output.2) }
                }
            }
            return out
        }
        #expect(panel("classes-by-age-group") == groups(report["classes_by_age_group"], key: "age_group"), "page: classes by age group")
        #expect(panel("months-of-year") == groups(report["months_of_year"], key: "month").filter { !$0.value.isEmpty }, "page: months of year")
        #expect(panel("top-medications") == groups(report["top_medications_by_age_group"], key: "medication"), "page: top medications")
        var tiles: [String: (Int64, Int64)] = [:]
        for t in dom.matches(of: /class="tile" data-label="([^"]*)" data-encounters="(\d+)" data-patients="(\d+)"/) { tiles[unescape(t.output.1)] = (Int64(t.output.2)!, Int64(t.output.3)!) }
        let classes = report["classes"] as? [[String: Any]] ?? []
        #expect(tiles.count == classes.count, "page: \(tiles.count) class tiles")
        for c in classes {
            let name = c["encounter_class"] as? String ?? ""
            #expect(tiles[name].map { $0.0 == (c["encounters"] as? NSNumber)?.int64Value && $0.1 == (c["patients"] as? NSNumber)?.int64Value } == true, "page: tile \(name)")
        }
        var visits: [String: Int64] = [:]
        if let donut = dom.firstMatch(of: /<svg[^>]*data-panel="visits">(.*?)<\/svg>/.dotMatchesNewlines()) {
            for p in donut.output.1.matches(of: /data-label="([^"]*)" data-value="(\d+)"/) { visits[unescape(p.output.1)] = Int64(p.output.2) }
        }
        for c in classes { #expect(visits[c["encounter_class"] as? String ?? ""] == (c["encounters"] as? NSNumber)?.int64Value, "page: visits donut") }
        var diagnoses: [String: [String: Int64]] = [:]
        for svg in dom.matches(of: /<svg[^>]*data-panel="top-diagnoses" data-group="([^"]*)">(.*?)<\/svg>/.dotMatchesNewlines()) {
            for r in svg.output.2.matches(of: /data-label="([^"]*)" data-value="(\d+)"/) { diagnoses[unescape(svg.output.1), default: [:]][unescape(r.output.1)] = Int64(r.output.2) }
        }
        #expect(diagnoses == groups(report["top_diagnoses_by_class"], key: "encounter_class"), "page: top diagnoses")
        for tile in ["Emergency", "Inpatient"] {
            let c = classes.first { $0["encounter_class"] as? String == tile }
            let rate = dom.firstMatch(of: try! Regex("data-label=\"\(tile)\" data-rate=\"([^\"]*)\"")).map { Double(String($0.output[1].substring ?? "")) ?? -1 }
            #expect(rate == (c?["readmission_rate_percent"] as? NSNumber)?.doubleValue ?? 0, "page: \(tile) readmission rate")
        }
    }
}
