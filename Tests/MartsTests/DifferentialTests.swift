import Foundation
import Marts
import State
import Synthea
import TestSupport
import Testing

/// Random arrival orders, duplicates, redeliveries and newer versions must give the marts of a
/// clean run over the final versions, and `verify` must pass.
@Suite("Incremental marts equal their batch definition, whatever the arrival order")
struct DifferentialTests {
    /// Newer versions of some records: changed birth dates (also to invalid ages), encounter
    /// classes, starts and costs, condition and medication descriptions and costs.
    static func newerVersions(of versions: [Version], random: inout SeededRandom) -> [Version] {
        let classes = ["ambulatory", "wellness", "outpatient", "inpatient", "emergency", "urgentcare"]
        var newer: [Version] = []
        var next = (versions.map(\.position.ingestedMs).max() ?? 0) + 1
        for version in versions where random.chance(0.12) {
            var changed = version
            var row = version.row
            switch version.entity {
            case .patients:
                if let birth = row["BIRTHDATE"], birth.count == 10, let year = Int(birth.prefix(4)) {
                    let shift = random.pick([-130, -3, -1, 1, 2, 15, 90])
                    let shifted = max(1800, year + shift)
                    // 29 February moved to a common year would be no date (and rejected).
                    let leap = shifted % 4 == 0 && (shifted % 100 != 0 || shifted % 400 == 0)
                    let monthDay = birth.hasSuffix("-02-29") && !leap ? "-02-28" : String(birth.dropFirst(4))
                    row["BIRTHDATE"] = String(format: "%04d", shifted) + monthDay
                }
                row["LAST"] = (row["LAST"] ?? "") + "v2"
            case .encounters:
                row["ENCOUNTERCLASS"] = random.pick(classes)
                // Sometimes none (null): a group of only such encounters sums to 0, not NULL.
                row["TOTAL_CLAIM_COST"] = random.chance(0.15) ? "" : "\(random.int(0...99_999)).\(random.int(0...99))"
                if random.chance(0.5), let start = row["START"], start.count == 20 {
                    // move it by a few days (or onto a neighbour's instant)
                    let day = Int(start.dropFirst(8).prefix(2)) ?? 1
                    row["START"] = String(start.prefix(8)) + String(format: "%02d", min(28, max(1, day + random.int(-7...7)))) + start.dropFirst(10)
                    // An encounter may not stop before it starts (staging refuses it).
                    if let stop = row["STOP"], stop.count == 20, stop < row["START"]! { row["STOP"] = row["START"] }
                }
            case .conditions:
                row["DESCRIPTION"] = random.pick(["Severe anxiety (panic) (finding)", "Hypertension (disorder)", "Plain description", "Odd (x"])
            case .medications:
                row["TOTALCOST"] = "\(random.int(0...9_999)).\(random.int(0...999_999))"
                row["DESCRIPTION"] = (row["DESCRIPTION"] ?? "") + " v2"
            case .organizations, .providers:
                row["NAME"] = (row["NAME"] ?? "") + " v2"
            }
            changed.row = row
            // a tie in ingestion time goes to the later Kafka position
            if random.chance(0.2) {
                changed.position.offset += 1_000_000
            } else {
                changed.position.ingestedMs = next
                changed.position.offset = Int64(versions.count + newer.count)
                next += 1
            }
            newer.append(changed)
        }
        return newer
    }

    /// The final version of every key: the greatest position.
    static func finalVersions(_ all: [Version]) -> [Version] {
        var latest: [String: Version] = [:]
        for v in all {
            let id = "\(v.entity.rawValue)#\(v.key)"
            if let current = latest[id], current.position >= v.position { continue }
            latest[id] = v
        }
        return all.filter { v in latest["\(v.entity.rawValue)#\(v.key)"]?.position == v.position }
    }

    static func expectVerified(_ harness: MartHarness, _ context: String) throws {
        for comparison in try harness.verify() {
            #expect(comparison.matches, "\(context): \(comparison.mart): \(comparison.missing) missing, \(comparison.unexpected) unexpected\n\(comparison.examples.joined(separator: "\n"))")
        }
    }

    static func expectSameMarts(_ a: MartHarness, _ b: MartHarness, _ context: String) throws {
        for mart in MartCatalog.all {
            let left = try a.rows(mart), right = try b.rows(mart)
            #expect(left.count == right.count, "\(context): \(mart.name) has \(left.count) rows, the clean run \(right.count)")
            if left != right, let i = left.indices.first(where: { $0 >= right.count || left[$0] != right[$0] }), i < right.count {
                Issue.record("\(context): \(mart.name) row \(i) differs:\n  \(left[i])\n  \(right[i])")
            }
        }
    }

    /// One scenario: shuffled versions in random batches (half of them written in several
    /// flushes) versus the final versions in file order.
    static func run(versions base: [Version], seed: UInt64, name: String) throws {
        var random = SeededRandom(seed: seed)
        let context = "\(name), seed \(seed) (rerun with EMR_TEST_SEED=\(seed))"
        let newer = newerVersions(of: base, random: &random)
        var stream = base + newer
        stream += stream.filter { _ in random.chance(0.08) }  // redeliveries
        stream.shuffle(using: &random)

        let shuffled = try MartHarness()
        var index = 0
        while index < stream.count {
            let size = random.int(1...400)
            // Some batches are written in several steps (the consumer flushes while it waits).
            let flushEvery = random.chance(0.5) ? random.int(1...60) : nil
            try shuffled.apply(stream[index..<min(stream.count, index + size)], flushEvery: flushEvery)
            index += size
        }
        try expectVerified(shuffled, context)

        let clean = try MartHarness()
        try clean.apply(finalVersions(base + newer))
        try expectVerified(clean, context + " (clean run)")
        try expectSameMarts(shuffled, clean, context)
        // The marts are not trivially empty.
        #expect(try clean.rows(MartCatalog.encounters).count > 0, "\(context): no encounters in the marts")
    }

    static var seeds: [UInt64] {
        if let fixed = ProcessInfo.processInfo.environment["EMR_TEST_SEED"].flatMap(UInt64.init) { return [fixed] }
        return (0..<2).map { _ in UInt64.random(in: 1...1_000_000) }
    }

    @Test("shared exports: random orders, duplicates and newer versions", SharedExports.condition,
          arguments: ["dverma-L3c-16p", "mcode-L2-115p", "subratkpadhi-L3b-51p", "invitae-L2-10p"])
    func sharedExport(name: String) throws {
        let versions = try loadVersions(SharedExports.path(name))
        for seed in Self.seeds { try Self.run(versions: versions, seed: seed, name: name) }
    }

    @Test("generated export: random orders, duplicates and newer versions")
    func generated() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gen-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let seed = Self.seeds[0]
        _ = try ExportGenerator(options: GeneratorOptions(patients: 40, organizations: 6, seed: seed)).write(to: directory)
        try Self.run(versions: try loadVersions(directory), seed: seed, name: "generated")
    }
}
