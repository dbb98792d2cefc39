import Foundation
import Marts
import State
import Synthea
import TestSupport
import Testing

/// The dashboard's report is given again only while the state's stored offsets have not moved.
@Suite("Dashboard report cache")
struct DashboardReportCacheTests {
    @Test("a report is reused while no batch committed, computed again once one did (equal to a fresh one), and per range")
    func reusedUntilTheStateMoves() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("report-cache")
        defer { try? FileManager.default.removeItem(atPath: work) }
        _ = try ExportGenerator(options: GeneratorOptions(patients: 20, organizations: 3, seed: seed)).write(to: "\(work)/export")
        let versions = try loadVersions("\(work)/export")
        let harness = try MartHarness()
        let db = harness.store.database
        /// A batch as the consumer commits it: its versions and the next offset it read.
        func commit(_ part: [Version], next: Int64) throws {
            try harness.store.inBatch { store in
                try harness.maintainer.batch { for version in part { try harness.maintainer.apply(try version.staged(), at: version.position) } }
                try store.saveOffset(topic: "emr.raw.all", partition: 0, nextOffset: next)
            }
        }
        // Everything but the later half of the encounters, then those.
        let encounters = versions.filter { $0.entity == .encounters }
        let later = Set(encounters.suffix(encounters.count / 2).map(\.position.offset))
        try commit(versions.filter { !later.contains($0.position.offset) }, next: 1)

        let cache = DashboardReportCache()
        let all = ReportRange()
        let first = try cache.report(db, range: all)
        let fresh = try DashboardReport.compute(db, range: all)
        #expect(first == fresh && first.encounters > 0, "\(context)")
        let again = try cache.report(db, range: all)
        #expect(again == first && cache.computed == 1, "\(context): the same state gives the kept report")
        let some = ReportRange(from: "2015-01-01", to: "2020-12-31")
        let someReport = try cache.report(db, range: some), someFresh = try DashboardReport.compute(db, range: some)
        #expect(someReport == someFresh && cache.computed == 2, "\(context): another range is its own report")

        try commit(versions.filter { later.contains($0.position.offset) }, next: 2)
        let after = try cache.report(db, range: all), afterFresh = try DashboardReport.compute(db, range: all)
        #expect(cache.computed == 3 && after == afterFresh, "\(context): a committed batch moves the state")
        #expect(after.encounters > first.encounters, "\(context): the later batch added encounters (\(first.encounters) -> \(after.encounters))")

        for year in 2000..<(2000 + DashboardReportCache.capacity) {
            _ = try cache.report(db, range: ReportRange(from: "\(year)-01-01", to: "\(year)-12-31"))
        }
        let computed = cache.computed
        _ = try cache.report(db, range: all)
        #expect(cache.computed == computed + 1, "\(context): the oldest reports make room for newer ones")
    }
}
