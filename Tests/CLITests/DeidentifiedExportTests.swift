import Foundation
import Marts
import State
import TestSupport
import Testing

/// `emr export --deidentify --pseudonym-key-file`: HIPAA Safe Harbor on every format, checked
/// against the source export and an independent HMAC (Python's hmac module).
@Suite("De-identified exports", .serialized)
struct DeidentifiedExportTests {
    static let removed = ["prefix", "first_name", "middle_name", "last_name", "suffix", "maiden_name", "birthplace", "address",
                          "city", "county", "fips", "lat", "lon"]
    static let patientTimes: [String: [String]] = [
        "dim_patients": ["birth_date", "death_date", "ingested_at"],
        "fact_patient_encounters": ["start_at", "start_date", "stop_at", "stop_date", "ingested_at"],
        "fact_patient_conditions": ["start_date", "stop_date", "ingested_at"],
        "fact_patient_medications": ["start_at", "start_date", "stop_at", "stop_date", "ingested_at"],
    ]
    static let counts: [String: [String]] = [
        "fact_patient_encounter_readmissions": ["readmission_encounter_count", "encounter_count"],
        "fact_patient_encounters_by_month": ["encounter_count"],
        "fact_top_medications_by_patient_age_group": ["total_dispenses"],
    ]

    /// A table of an export as column name → values, per row.
    static func table(_ path: String) throws -> (header: [String], rows: [[String: String]]) {
        let parsed = try CSVRows.parse(Data(contentsOf: URL(fileURLWithPath: path)))
        let header = parsed.first ?? []
        return (header, parsed.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) })
    }

    static func hmacHex(key: String, _ message: String) throws -> String {
        let script = "import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())"
        let result = try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, key, message])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("Safe Harbor in CSV, JSON Lines and SQLite: no removed column, no source id, 3-digit ZIPs, years only, ages capped, small cells suppressed, one pseudonym per id across marts, keyed")
    func deidentified() throws {
        let work = try temporaryDirectory("deid")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        try emr(["generate", "--out", "\(work)/export", "--patients", "40", "--organizations", "3", "--seed", "71"])
        // One patient from a restricted ZIP area born in 1921 (over 89), one from Cambridge.
        let patientsPath = "\(work)/export/patients.csv"
        var patients = try CSVRows.parse(Data(contentsOf: URL(fileURLWithPath: patientsPath)))
        let column = Dictionary(uniqueKeysWithValues: patients[0].enumerated().map { ($1, $0) })
        patients[1][column["ZIP"]!] = "03601"
        patients[1][column["BIRTHDATE"]!] = "1921-03-04"
        patients[1][column["DEATHDATE"]!] = ""
        patients[2][column["ZIP"]!] = "02139"
        let quoted = patients.map { $0.map { $0.contains(",") || $0.contains("\"") ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }.joined(separator: ",") }
        try (quoted.joined(separator: "\n") + "\n").write(toFile: patientsPath, atomically: true, encoding: .utf8)
        let (old, cambridge) = (patients[1][column["Id"]!], patients[2][column["Id"]!])
        _ = try produceAll("\(work)/export", broker)
        let state = "\(work)/state.sqlite"
        try consume(state, broker, group: "g")

        let keyText = "k3y-\(UUID().uuidString)", otherKey = "other-\(UUID().uuidString)"
        try keyText.write(toFile: "\(work)/key", atomically: true, encoding: .utf8)
        try (otherKey + "\n").write(toFile: "\(work)/other.key", atomically: true, encoding: .utf8)
        try emr(["export", "--state", state, "--out", "\(work)/plain"])
        var outputs: [ProcessResult] = []
        for format in ["csv", "jsonl", "sqlite"] {
            outputs.append(try emr(["export", "--state", state, "--format", format, "--deidentify", "--pseudonym-key-file", "\(work)/key",
                                    "--out", "\(work)/deid-\(format)"]))
        }
        try emr(["export", "--state", state, "--deidentify", "--pseudonym-key-file", "\(work)/other.key", "--out", "\(work)/deid-other"])

        // Every source patient and encounter id.
        var sourceIDs = Set<String>()
        for (file, key) in [("patients", "Id"), ("encounters", "Id")] {
            let (_, rows) = try Self.table("\(work)/export/\(file).csv")
            sourceIDs.formUnion(rows.compactMap { $0[key] })
        }
        #expect(sourceIDs.count > 100)

        let deid = "\(work)/deid-csv"
        var tables: [String: (header: [String], rows: [[String: String]])] = [:]
        for mart in MartCatalog.all { tables[mart.name] = try Self.table("\(deid)/\(mart.name).csv") }
        let plainRows = try MartCatalog.all.map { ($0.name, try Self.table("\(work)/plain/\($0.name).csv").rows.count) }
        for (name, count) in plainRows { #expect(tables[name]!.rows.count == count, "\(name): rows") }

        // No removed column; ZIP codes of three digits; the restricted area is 000.
        let dim = tables["dim_patients"]!
        #expect(Set(dim.header).isDisjoint(with: Self.removed), "\(dim.header)")
        let zips = dim.rows.map { $0["zip_code"] ?? "" }
        #expect(zips.allSatisfy { $0.isEmpty || $0.wholeMatch(of: /\d{3}/) != nil } && zips.filter { !$0.isEmpty }.count > 20,
                "ZIP codes of three digits (empty where the source has none): \(zips)")
        let pseudonym = { (id: String) throws -> String in try Self.hmacHex(key: keyText, id) }
        let byID = Dictionary(uniqueKeysWithValues: dim.rows.map { ($0["patient_id"]!, $0) })
        let oldRow = try #require(byID[try pseudonym(old)], "the pseudonym is HMAC-SHA-256(key, id) in hex (checked with Python)")
        #expect(oldRow["zip_code"] == "000" && oldRow["birth_date"] == "", "restricted ZIP and a birth year over 89: \(oldRow)")
        #expect(byID[try pseudonym(cambridge)]?["zip_code"] == "021")

        // Years only; ages capped at 90 (the 1921 patient's encounters are past 89).
        for (mart, columns) in Self.patientTimes {
            for row in tables[mart]!.rows {
                for column in columns where !(row[column] ?? "").isEmpty && row[column]!.wholeMatch(of: /\d{4}/) == nil {
                    Issue.record("\(mart).\(column) = \(row[column]!): not a year")
                }
            }
        }
        let ages = ["fact_patient_encounters", "fact_patient_conditions", "fact_patient_medications"].flatMap { mart in
            tables[mart]!.rows.flatMap { row in row.filter { $0.key.hasPrefix("patient_age_at_") }.compactMap { Int($0.value) } }
        }
        #expect(!ages.isEmpty && ages.max()! == 90, "ages capped at 90 (the oldest is over 89): max \(ages.max() ?? -1)")

        // Aggregates: no count from 1 to 10; suppressed rows say so.
        var suppressed = 0
        for (mart, countColumns) in Self.counts {
            for row in tables[mart]!.rows {
                for c in countColumns { if let n = Int(row[c] ?? ""), (1...10).contains(n) { Issue.record("\(mart).\(c) = \(n)") } }
                #expect(row["suppressed"] == "0" || row["suppressed"] == "1")
                if row["suppressed"] == "1" {
                    suppressed += 1
                    #expect(countColumns.allSatisfy { (row[$0] ?? "").isEmpty }, "\(mart): a suppressed row keeps a count")
                }
            }
        }
        #expect(suppressed > 0, "a 40-patient export has small cells")

        // One pseudonym per id across marts.
        let patientIDs = Set(dim.rows.map { $0["patient_id"]! })
        let encounterIDs = Set(tables["fact_patient_encounters"]!.rows.map { $0["encounter_id"]! })
        for mart in ["fact_patient_encounters", "fact_patient_conditions", "fact_patient_medications"] {
            #expect(Set(tables[mart]!.rows.map { $0["patient_id"]! }).isSubset(of: patientIDs), "\(mart).patient_id")
        }
        for mart in ["fact_patient_conditions", "fact_patient_medications"] {
            #expect(Set(tables[mart]!.rows.compactMap { $0["encounter_id"] }).isSubset(of: encounterIDs), "\(mart).encounter_id")
        }
        // Another key, other pseudonyms.
        let other = try Self.table("\(work)/deid-other/dim_patients.csv").rows.map { $0["patient_id"]! }
        #expect(Set(other).isDisjoint(with: patientIDs) && other.count == patientIDs.count)

        // No source id and never the key, in any file of any format (SQLite read as bytes too).
        for directory in ["deid-csv", "deid-jsonl", "deid-sqlite", "deid-other"] {
            for file in try FileManager.default.contentsOfDirectory(atPath: "\(work)/\(directory)") {
                let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(work)/\(directory)/\(file)")), as: UTF8.self)
                let tokens = Set(text.split { !($0.isLetter || $0.isNumber || $0 == "-") }.map(String.init))
                #expect(tokens.isDisjoint(with: sourceIDs), "\(directory)/\(file) holds a source id")
                #expect(!text.contains(keyText) && !text.contains(otherKey), "\(directory)/\(file) holds the key")
            }
        }
        #expect(!outputs.contains { $0.stdout.contains(keyText) || $0.stderr.contains(keyText) }, "the key is printed")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(deid)/manifest.json"))) as? [String: Any])
        #expect(manifest["deidentified"] as? Bool == true)
        let rules = (manifest["deidentification"] as? [String: Any])?["rules"] as? [String] ?? []
        #expect(rules.count >= 6 && ((manifest["deidentification"] as? [String: Any])?["method"] as? String ?? "").contains("164.514(b)(2)"))
        let plainManifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(work)/plain/manifest.json"))) as? [String: Any])
        #expect(plainManifest["deidentified"] as? Bool == false)

        // The other formats hold the same rows and values as the de-identified CSV.
        let db = try SQLiteDatabase(path: "\(work)/deid-sqlite/marts.sqlite", readOnly: true)
        defer { db.close() }
        for mart in MartCatalog.all {
            let header = tables[mart.name]!.header
            let rows = try db.prepare("SELECT \(header.joined(separator: ", ")) FROM \(mart.name) ORDER BY \(mart.grain.joined(separator: ", "))").rows()
            let csvBody = try CSVRows.parse(Data(contentsOf: URL(fileURLWithPath: "\(deid)/\(mart.name).csv"))).dropFirst()
            #expect(Set(rows.map { $0.map(MartExporter.field) }.map { $0.joined(separator: "\u{1}") }) == Set(csvBody.map { $0.joined(separator: "\u{1}") }),
                    "\(mart.name): SQLite differs from CSV")
            let lines = try String(contentsOfFile: "\(work)/deid-jsonl/\(mart.name).jsonl", encoding: .utf8).split(separator: "\n")
            #expect(lines.count == csvBody.count, "\(mart.name): JSON Lines rows")
        }
    }

    @Test("--deidentify refuses to run without a usable key (exit 2), and a key without --deidentify", arguments: [
        ["--deidentify"],
        ["--deidentify", "--pseudonym-key-file", "/nonexistent/key"],
        ["--deidentify", "--pseudonym-key-file", "SHORT"],
        ["--pseudonym-key-file", "SHORT"],
    ])
    func refusals(arguments: [String]) throws {
        let work = try temporaryDirectory("deid-refusal")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try "tiny\n".write(toFile: "\(work)/short.key", atomically: true, encoding: .utf8)
        let args = arguments.map { $0 == "SHORT" ? "\(work)/short.key" : $0 }
        let result = try run(try emrExecutable(), ["export", "--state", "\(work)/s.sqlite", "--out", "\(work)/out"] + args)
        #expect(result.status == 2, "\(args): \(result)")
        #expect(result.stderr.contains("key") && !result.stderr.contains("tiny"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(work)/out"))
    }
}
