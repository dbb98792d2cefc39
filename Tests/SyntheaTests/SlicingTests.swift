import Foundation
import Synthea
import TestSupport
import Testing

@Suite("Facility slicing and event-time order")
struct SlicingTests {
    /// Runs `body` on a generated export in a directory of its own, removed afterwards.
    private func withGeneratedExport(_ options: GeneratorOptions, _ body: (SyntheaExport) throws -> Void) throws {
        let directory = try temporaryDirectory("slicing")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try ExportGenerator(options: options).write(to: directory)
        try body(SyntheaExport(directory: directory))
    }

    private func all(_ stream: SliceStream) throws -> [SlicedRecord] {
        var out: [SlicedRecord] = []
        while let r = try stream.next() { out.append(r) }
        return out
    }

    @Test("all slices together cover every record; encounters once; a patient once per facility that saw it",
          SharedExports.condition, arguments: SharedExports.names)
    func slicesCoverExport(name: String) throws {
        let export = try SyntheaExport(directory: SharedExports.path(name))
        // A small budget forces the sorter to spill and merge runs.
        let (stream, summary) = try FacilitySlicer(export: export, options: SliceOptions(memoryBudget: 256 << 10)).slice()
        let records = try all(stream)
        let counts = try export.rowCounts()

        #expect(summary.records[.organizations] == counts[.organizations])
        #expect(summary.records[.providers] == counts[.providers])
        #expect(summary.records[.encounters] == counts[.encounters])
        #expect(summary.records[.conditions] == counts[.conditions])
        #expect(summary.records[.medications] == counts[.medications])
        #expect(records.count == summary.total)

        // Expected patient-facility pairs straight from encounters.csv.
        var pairs: Set<[String]> = []
        var encounterIds: [String] = []
        try export.forEachRow(.encounters) { row in
            pairs.insert([row["PATIENT"]!, row["ORGANIZATION"]!])
            encounterIds.append(row["Id"]!)
        }
        let slicedEncounters = records.filter { $0.entity == .encounters }.map { $0.row["Id"]! }
        #expect(slicedEncounters.sorted() == encounterIds.sorted(), "each encounter in exactly one slice")
        let slicedPatients = records.filter { $0.entity == .patients }.map { [$0.row["Id"]!, $0.facility] }
        #expect(slicedPatients.count == pairs.count, "a patient seen at k facilities appears in k slices")
        #expect(Set(slicedPatients) == pairs)
        for r in records where r.entity == .encounters {
            #expect(r.facility == r.row["ORGANIZATION"])
        }
    }

    @Test("event-time order: by START, a patient before its first record, children after their encounter",
          SharedExports.condition, arguments: ["mcode-L2-115p", "dverma-L3c-16p"])
    func eventTimeOrder(name: String) throws {
        let export = try SyntheaExport(directory: SharedExports.path(name))
        let (stream, _) = try FacilitySlicer(export: export, options: SliceOptions()).slice()
        let records = try all(stream)
        var seenTimed = false
        var lastTime = Int64.min
        var patientsAt: Set<[String]> = []
        var encountersSeen: Set<String> = []
        for r in records {
            if r.eventTime == nil {
                #expect(!seenTimed, "organizations and providers come first")
                #expect(r.entity == .organizations || r.entity == .providers)
                continue
            }
            seenTimed = true
            #expect(r.eventTime! >= lastTime, "nondecreasing event time")
            lastTime = r.eventTime!
            switch r.entity {
            case .patients: patientsAt.insert([r.row["Id"]!, r.facility])
            case .encounters:
                #expect(patientsAt.contains([r.row["PATIENT"]!, r.facility]), "patient before its encounter")
                #expect(r.eventTime == EventTime.seconds(r.row["START"]!))
                encountersSeen.insert(r.row["Id"]!)
            default:
                #expect(encountersSeen.contains(r.row["ENCOUNTER"]!), "\(r.entity) after its encounter")
            }
        }
    }

    @Test("one facility's slice is exactly its own records; unknown facilities are reported", SharedExports.condition)
    func singleFacility() throws {
        let export = try SyntheaExport(directory: SharedExports.path("invitae-L2-10p"))
        var encountersByOrg: [String: Int] = [:]
        try export.forEachRow(.encounters) { encountersByOrg[$0["ORGANIZATION"]!, default: 0] += 1 }
        let (busiest, expected) = encountersByOrg.max { $0.value < $1.value }!
        let options = SliceOptions(facilities: [busiest, "no-such-org"], order: .file)
        let (stream, summary) = try FacilitySlicer(export: export, options: options).slice()
        let records = try all(stream)
        #expect(summary.unknownFacilities == ["no-such-org"])
        #expect(records.filter { $0.entity == .encounters }.count == expected)
        #expect(records.allSatisfy { $0.facility == busiest })
        #expect(records.filter { $0.entity == .organizations }.count == 1)
        let ranks = records.map { Entity.allCases.firstIndex(of: $0.entity)! }
        #expect(ranks == ranks.sorted(), "file order: entity by entity")
    }

    @Test("a generated export slices to the same records whatever the sort memory; values reach JSON as the CSV had them; a bad file read on the second thread is named")
    func generatedExportSlicesAlike() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slicing-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try ExportGenerator(options: GeneratorOptions(patients: 40, organizations: 5, seed: 11)).write(to: directory)
        let export = try SyntheaExport(directory: directory)
        func sliced(_ budget: Int) throws -> [SlicedRecord] {
            try all(FacilitySlicer(export: export, options: SliceOptions(memoryBudget: budget)).slice().0)
        }
        func rendered(_ records: [SlicedRecord]) -> [String] {
            records.map { "\($0.facility) \($0.entity) \($0.eventTime ?? -1) \($0.line) \(String(decoding: $0.jsonObject(), as: UTF8.self))" }
        }
        let spilled = try sliced(8 << 10), inMemory = try sliced(256 << 20)
        let counts = try export.rowCounts()
        let rowsBesidesPatients: Int = [Entity.organizations, .providers, .encounters, .conditions, .medications].map { counts[$0] ?? 0 }.reduce(0, +)
        let patientRows: Int = spilled.filter { $0.entity == .patients }.count
        #expect(spilled.count == rowsBesidesPatients + patientRows, "every generated record is in some slice")
        let (a, b) = (rendered(spilled), rendered(inMemory))
        #expect(a.count == b.count)
        if let first = a.indices.first(where: { $0 < b.count && a[$0] != b[$0] }) {
            Issue.record("record \(first) depends on the sort memory: \(a[first]) vs \(b[first])")
        }
        for record in spilled {
            // The byte path (CSV bytes to JSON) gives what the text path gives from the decoded row.
            #expect(record.jsonObject() == JSONText.object(keys: record.header.names, values: record.row.values))
            #expect(record["Id"] == record.row["Id"])
            // The message key and partition key, joined from the encoded bytes in one pass.
            let schema = EntitySchema.of(record.entity)
            #expect(record.joinedValues(schema.keyColumns) == Array(schema.naturalKey(of: record.row).utf8))
            #expect(record.joinedValues(["NO_SUCH_COLUMN", "Id"]) == Array(("|" + (record["Id"] ?? "")).utf8))
        }

        // Medications are read on a second thread: their error still ends the slicing, named.
        let medications = export.path(of: .medications)
        let lines = try String(contentsOfFile: medications, encoding: .utf8).split(separator: "\n").count
        let handle = try #require(FileHandle(forWritingAtPath: medications))
        handle.seekToEndOfFile()
        handle.write(Data([0x78, 0x2C, 0xFF, 0x0A]))
        try handle.close()
        #expect {
            _ = try FacilitySlicer(export: export, options: SliceOptions()).slice()
        } throws: { error in
            guard let error = error as? CSVError else { return false }
            return error.file == medications && error.line == lines + 1 && error.message.contains("not valid UTF-8")
        }
    }

    @Test("a patient joins each facility's slice at its first encounter there, whatever the order of encounters.csv")
    func patientsAtFirstVisitInAnyRowOrder() throws {
        let (seed, rerun) = testSeed()
        try withGeneratedExport(GeneratorOptions(patients: 60, organizations: 6, seed: 5)) { export in
            let path = export.path(of: .encounters)
            var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            let header = lines.removeFirst()
            var generator = SplitMix(seed: seed)
            // As written (a patient's encounters together, earliest first), reversed (together,
            // latest first) and shuffled (runs of one row).
            for (order, rows) in [("as generated", lines), ("reversed", lines.reversed()), ("shuffled", lines.shuffled(using: &generator))] {
                try ([header] + rows).map { $0 + "\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
                var expected: [[String]: Int64] = [:]
                try export.forEachRow(.encounters) { row in
                    guard let time = EventTime.seconds(row["START"]!) else { return }
                    let pair = [row["PATIENT"]!, row["ORGANIZATION"]!]
                    expected[pair] = min(expected[pair] ?? .max, time)
                }
                let records = try all(FacilitySlicer(export: export, options: SliceOptions(memoryBudget: 8 << 10)).slice().0)
                var placed: [[String]: Int64] = [:]
                for record in records where record.entity == .patients {
                    let pair = [record.row["Id"]!, record.facility]
                    #expect(placed[pair] == nil, "\(order): patient \(pair) placed twice; \(rerun)")
                    placed[pair] = record.eventTime
                }
                #expect(expected.count > 60, "\(order): patients seen at several facilities")
                let wrong = expected.filter { placed[$0.key] != $0.value }
                #expect(placed.count == expected.count && wrong.isEmpty,
                        "\(order): \(wrong.count) of \(expected.count) patient-facility pairs placed elsewhere, e.g. \(wrong.first.map { "\($0.key) at \(placed[$0.key].map(String.init) ?? "none") instead of \($0.value)" } ?? "-"); \(rerun)")
            }
        }
    }

    @Test("organizations and providers come first, by facility id in byte order, each organization before its providers")
    func untimedRecordsByFacility() throws {
        try withGeneratedExport(GeneratorOptions(patients: 30, organizations: 12, seed: 7)) { export in
            var organizationsInFile: [String] = []
            try export.forEachRow(.organizations) { organizationsInFile.append($0["Id"]!) }
            #expect(organizationsInFile != organizationsInFile.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) },
                    "the file's own order would not tell the orders apart")
            let untimed = try all(FacilitySlicer(export: export, options: SliceOptions(memoryBudget: 4 << 10)).slice().0).prefix { $0.eventTime == nil }
            #expect(untimed.filter { $0.entity == .organizations }.count == organizationsInFile.count)
            let places = untimed.map { ($0.facility, $0.entity == .organizations ? 0 : 1) }
            for (a, b) in zip(places, places.dropFirst()) {
                #expect(a.0.utf8.lexicographicallyPrecedes(b.0.utf8) || (a.0 == b.0 && a.1 <= b.1), "\(a) before \(b)")
            }
        }
    }

    @Test("the external sorter returns every record in key order whatever it spilled")
    func externalSorter() throws {
        // Replayable: EMR_TEST_SEED=<the seed printed on failure>.
        let seed = ProcessInfo.processInfo.environment["EMR_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        var generator = SplitMix(seed: seed)
        let sorter = ExternalSorter(memoryBudget: 4 << 10)
        var expected: [[UInt8]] = []
        for i in 0..<5_000 {
            let key = Array("\(generator.next() % 100_000)-\(i)".utf8)
            expected.append(key)
            try sorter.add(key: key, payload: Array("p\(i)".utf8))
        }
        #expect(sorter.spilledRuns > 10, "seed \(seed)")
        let stream = try sorter.finish()
        var got: [[UInt8]] = []
        while let r = try stream.next() { got.append(r.key) }
        #expect(got == expected.sorted { $0.lexicographicallyPrecedes($1) }, "seed \(seed)")
    }

    @Test("a run the sorter cannot write fails the sorting, naming the file (it is written on a thread of its own)")
    func unwritableRun() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sort-fault-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The first run's file name is taken by a directory: creating the file fails.
        let taken = directory.appendingPathComponent("run-0")
        try FileManager.default.createDirectory(at: taken, withIntermediateDirectories: true)
        let sorter = ExternalSorter(memoryBudget: 4 << 10, directory: directory)
        #expect {
            for i in 0..<2_000 { try sorter.add(key: Array("key-\(i)".utf8), payload: Array(repeating: 7, count: 40)) }
            _ = try sorter.finish()
        } throws: { error in
            (error as? CocoaError)?.userInfo[NSFilePathErrorKey] as? String == taken.path
        }
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
