import Foundation
import Synthea
import TestSupport
import Testing

@Suite("Facility slicing and event-time order")
struct SlicingTests {
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
