import Foundation
import Marts
import State
import Synthea
import TestSupport
import Testing

@Suite("emr consume, verify and export end to end over TCP", .serialized)
struct ConsumeEndToEndTests {
    /// What the marts must hold for an export whose every facility was produced.
    struct Expected {
        var patients = 0, encounters = 0, conditions = 0, medications = 0, organizations = 0

        init(_ directory: String) throws {
            let export = try SyntheaExport(directory: directory)
            var patientIDs: Set<String> = [], seenPatients: Set<String> = [], encounterIDs: Set<String> = []
            var organizationIDs: Set<String> = [], conditionKeys: Set<String> = [], medicationKeys: Set<String> = []
            try export.forEachRow(.patients) { patientIDs.insert($0["Id"]!) }
            try export.forEachRow(.organizations) { organizationIDs.insert($0["Id"]!) }
            try export.forEachRow(.encounters) { row in
                guard organizationIDs.contains(row["ORGANIZATION"]!), patientIDs.contains(row["PATIENT"]!) else { return }
                encounterIDs.insert(row["Id"]!)
                seenPatients.insert(row["PATIENT"]!)
            }
            try export.forEachRow(.conditions) { row in
                if encounterIDs.contains(row["ENCOUNTER"]!), seenPatients.contains(row["PATIENT"]!) {
                    conditionKeys.insert(row["ENCOUNTER"]! + "|" + row["CODE"]!)
                }
            }
            try export.forEachRow(.medications) { row in
                let values = Dictionary(uniqueKeysWithValues: zip(row.header.names, row.values))
                if encounterIDs.contains(row["ENCOUNTER"]!), seenPatients.contains(row["PATIENT"]!) {
                    medicationKeys.insert(EntitySchema.of(.medications).naturalKey(of: values))
                }
            }
            patients = seenPatients.count
            encounters = encounterIDs.count
            conditions = conditionKeys.count
            medications = medicationKeys.count
            organizations = organizationIDs.count
        }
    }

    /// Checks an export directory against spec section 9; returns rows per mart.
    static func checkExport(_ directory: String, messages: Int) throws -> [String: Int] {
        let manifestData = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/manifest.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
        let offsets = try #require(manifest["offsets"] as? [[String: Any]])
        #expect(offsets.reduce(0) { $0 + (($1["next_offset"] as? Int) ?? 0) } == messages, "manifest offsets should cover every message")
        var counts: [String: Int] = [:]
        let date = /\d{4}-\d{2}-\d{2}/, timestamp = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/, plainNumber = /-?\d+(\.\d+)?/
        for mart in MartCatalog.all {
            let table = try CSVTable(path: "\(directory)/\(mart.name).csv")
            #expect(table.header.names == mart.columns, "\(mart.name).csv header")
            var rows = 0
            while let row = try table.next() {
                rows += 1
                for (name, value) in zip(row.header.names, row.values) where !value.isEmpty {
                    if name.hasSuffix("_date") || name == "encounter_month" {
                        #expect(value.wholeMatch(of: date) != nil, "\(mart.name).csv line \(row.line) \(name): \(value)")
                    } else if name.hasSuffix("_at") {
                        #expect(value.wholeMatch(of: timestamp) != nil, "\(mart.name).csv line \(row.line) \(name): \(value)")
                    } else if name.contains("cost") || name.contains("coverage") || name.contains("_years") || name.contains("duration")
                                || name == "days_between_encounters" || name == "revenue" || name == "healthcare_expenses" {
                        #expect(value.wholeMatch(of: plainNumber) != nil, "\(mart.name).csv line \(row.line) \(name): \(value)")
                    }
                }
            }
            let listed = (manifest["marts"] as? [[String: Any]])?.first { $0["name"] as? String == mart.name }?["rows"] as? Int
            #expect(listed == rows, "\(mart.name): manifest says \(listed ?? -1) rows, the file has \(rows)")
            counts[mart.name] = rows
        }
        return counts
    }

    @Test("every shared export: produce all facilities, consume until caught up, verify, export",
          .enabled(if: FileManager.default.fileExists(atPath: sharedRoot.path), "../shared/synthea is absent: skipped"),
          arguments: ["invitae-L2-10p", "dverma-L3c-16p", "subratkpadhi-L3b-51p", "mcode-L2-115p", "akaleem-L3c-116p", "ukipop-L2-922p"])
    func sharedExport(name: String) throws {
        let exportDirectory = sharedRoot.appendingPathComponent(name).path
        let work = try temporaryDirectory("e2e-\(name)")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let produced = try produceAll(exportDirectory, broker)
        #expect(produced > 0)
        let consumed = try consume("\(work)/state.sqlite", broker, group: "e2e")
        #expect(consumed.stdout.contains("read \(produced) "), "\(consumed.stdout)")
        #expect(consumed.stdout.contains("rejected 0"), "\(consumed.stdout)")
        let verified = try emr(["verify", "--state", "\(work)/state.sqlite"])
        #expect(verified.stdout.contains("all 11 marts equal"), "\(verified.stdout)")
        try emr(["export", "--state", "\(work)/state.sqlite", "--format", "csv", "--out", "\(work)/marts"])
        let counts = try Self.checkExport("\(work)/marts", messages: produced)
        let expected = try Expected(exportDirectory)
        #expect(counts["dim_patients"] == expected.patients)
        #expect(counts["dim_organizations"] == expected.organizations)
        #expect(counts["fact_patient_encounters"] == expected.encounters)
        #expect(counts["fact_patient_conditions"] == expected.conditions)
        #expect(counts["fact_patient_medications"] == expected.medications)
    }
}
