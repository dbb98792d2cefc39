import Foundation
@testable import Marts
import Staging
import State
import Synthea
import TestSupport
import Testing

/// Hand-checked expectations for every derived rule of spec sections 6 and 7.
@Suite("Derived fields and mart rules, checked by hand")
struct DerivedRuleTests {
    private var offset: Int64 = 0

    private mutating func version(_ entity: Entity, _ row: [String: String], ingestedMs: Int64 = 1_000) -> Version {
        offset += 1
        return Version(entity: entity, row: row, position: SourcePosition(topic: "t", partition: 0, offset: offset, ingestedMs: ingestedMs))
    }

    private mutating func patient(_ id: String, birth: String, ingestedMs: Int64 = 1_000) -> Version {
        version(.patients, ["Id": id, "BIRTHDATE": birth, "FIRST": "F", "LAST": "L", "SSN": "999-99-9999"], ingestedMs: ingestedMs)
    }

    private mutating func encounter(_ id: String, patient: String, start: String, stop: String? = nil, org: String = "O1",
                                    cls: String = "ambulatory", cost: String = "10.00", ingestedMs: Int64 = 1_000) -> Version {
        version(.encounters, ["Id": id, "START": start, "STOP": stop ?? start, "PATIENT": patient, "ORGANIZATION": org,
                              "ENCOUNTERCLASS": cls, "TOTAL_CLAIM_COST": cost, "BASE_ENCOUNTER_COST": "1.5"], ingestedMs: ingestedMs)
    }

    private func value(_ harness: MartHarness, _ mart: MartDefinition, _ condition: String, _ column: String) throws -> SQLiteValue? {
        try harness.rows(mart, where: condition).first?[column]
    }

    @Test("age is calendar months / 12 ignoring the day; groups are min < age <= max, else invalid")
    mutating func agesAndGroups() throws {
        let h = try MartHarness()
        let cases: [(start: String, age: Double, group: Int64)] = [
            ("1980-05-01T00:00:00Z", 0, 1),             // same month, before the birthday: 0, infant
            ("1981-05-31T23:00:00Z", 1, 1),             // exactly 12 months: 1.0 is still infant (max inclusive)
            ("1981-06-01T00:00:00Z", 13.0 / 12, 2),     // toddler
            ("1985-05-02T00:00:00Z", 5, 2),             // 5 is toddler, not child
            ("1998-06-01T00:00:00Z", 18 + 1.0 / 12, 5), // young adult
            ("2100-05-01T00:00:00Z", 120, 8),           // 120 is still senior
            ("2100-06-01T00:00:00Z", 120 + 1.0 / 12, 9),// over 120: invalid
            ("1980-04-30T00:00:00Z", -1.0 / 12, 9),     // before birth: invalid
        ]
        var batch = [patient("P", birth: "1980-05-31")]
        for (i, c) in cases.enumerated() { batch.append(encounter("E\(i)", patient: "P", start: c.start, org: "O\(i)")) }
        try h.apply(batch)
        for (i, c) in cases.enumerated() {
            let row = try #require(try h.rows(MartCatalog.encounters, where: "encounter_id = 'E\(i)'").first)
            #expect(row["patient_age_at_encounter_start_years"] == .real(c.age), "\(c.start)")
            #expect(row["age_group_id"] == .integer(c.group), "\(c.start)")
        }
        #expect(try value(h, MartCatalog.encounters, "encounter_id = 'E3'", "age_group_name") == .text("toddler"))
        #expect(try value(h, MartCatalog.encounters, "encounter_id = 'E7'", "age_group_description") == .text("Invalid Age"))
        // A newer birth date moves every fact of the patient to its new age group.
        try h.apply([patient("P", birth: "1900-01-15", ingestedMs: 2_000)])
        #expect(try value(h, MartCatalog.encounters, "encounter_id = 'E0'", "age_group_id") == .integer(8))
        #expect(try value(h, MartCatalog.encounters, "encounter_id = 'E0'", "patient_age_at_encounter_start_years") == .real(80 + 4.0 / 12))
        #expect(try h.verify().allSatisfy(\.matches))
    }

    @Test("previous encounter: same patient, organization and class; ties never count; a readmission at exactly 7 days")
    mutating func previousEncounterAndReadmissions() throws {
        let h = try MartHarness()
        try h.apply([
            patient("P", birth: "1970-01-01"),
            encounter("A", patient: "P", start: "2020-01-01T10:00:00Z"),
            encounter("B", patient: "P", start: "2020-01-01T10:00:00Z"),            // same instant as A
            encounter("C", patient: "P", start: "2020-01-08T10:00:00Z"),            // exactly 7 days after A and B
            encounter("D", patient: "P", start: "2020-01-15T10:00:01Z"),            // 7 days and 1 second after C
            encounter("E", patient: "P", start: "2020-01-16T10:00:01Z", cls: "AMBULATORY"), // same class once capitalised
            encounter("F", patient: "P", start: "2020-01-17T10:00:01Z", org: "O2"), // other organization: no previous
            encounter("G", patient: "P", start: "2020-01-18T10:00:01Z", cls: "wellness"),
        ])
        func days(_ id: String) throws -> SQLiteValue? { try value(h, MartCatalog.encounters, "encounter_id = '\(id)'", "days_between_encounters") }
        #expect(try days("A") == .null)
        #expect(try days("B") == .null)
        #expect(try days("C") == .real(7))
        #expect(try days("D") == .real(7 + 1.0 / 86_400))
        #expect(try days("E") == .real(1))
        #expect(try days("F") == .null)
        #expect(try days("G") == .null)
        #expect(try value(h, MartCatalog.encounters, "encounter_id = 'E'", "encounter_class") == .text("Ambulatory"))
        let readmissions = try h.rows(MartCatalog.readmissions, where: "1").map { ($0["start_date"]!, $0["readmission_encounter_count"]!) }
        #expect(readmissions.first { $0.0 == .text("2020-01-08") }?.1 == .integer(1))  // C: exactly 7 days
        #expect(readmissions.first { $0.0 == .text("2020-01-15") }?.1 == .integer(0))  // D: just over
        #expect(readmissions.first { $0.0 == .text("2020-01-16") }?.1 == .integer(1))  // E
        // Moving C away re-links D to B/A, and the readmission of C disappears with its old row.
        try h.apply([encounter("C", patient: "P", start: "2020-03-01T10:00:00Z", ingestedMs: 2_000)])
        #expect(try days("D") == .real(14 + 1.0 / 86_400))
        #expect(try h.rows(MartCatalog.readmissions, where: "start_date = '2020-01-08'").isEmpty)
        #expect(try h.verify().allSatisfy(\.matches))
    }

    @Test("condition descriptions: type from the first parentheses, every parenthesised part removed")
    func conditionDescriptions() {
        #expect(DerivedFields.conditionDescription("Severe anxiety (panic) (finding)") == ("Severe anxiety", "panic"))
        #expect(DerivedFields.conditionDescription("Hypertension (disorder)") == ("Hypertension", "disorder"))
        #expect(DerivedFields.conditionDescription("Body mass index 30+ - obesity (finding)") == ("Body mass index 30+ - obesity", "finding"))
        #expect(DerivedFields.conditionDescription("Plain text") == ("Plain text", ""))
        #expect(DerivedFields.conditionDescription("Unbalanced (x") == ("Unbalanced (x", ""))
        #expect(DerivedFields.encounterClass("urgentcare") == "Urgentcare")
        #expect(DerivedFields.encounterClass("AMBULATORY") == "Ambulatory")
    }

    @Test("ASCII descriptions and classes, read by bytes, equal the Character-by-Character rules")
    func asciiFastPaths() {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let pieces = ["(", ")", " ", "\t", "\r\n", "\r", "\n", "a", "Z", "disorder", "x y", "9", "-", "é", "(\u{301}", "\u{A0}"]
        for _ in 0..<5_000 {
            let text = (0..<random.int(0...10)).map { _ in pieces[random.int(0...(pieces.count - 1))] }.joined()
            #expect(DerivedFields.conditionDescription(text) == DerivedFields.conditionDescriptionByCharacter(text),
                    "\(context): \(text.debugDescription)")
            #expect(DerivedFields.encounterClass(text) == DerivedFields.encounterClassByCharacter(text), "\(context): \(text.debugDescription)")
        }
    }

    @Test("money sums are exact decimals, whatever the order; retraction subtracts exactly")
    mutating func exactMoney() throws {
        let h = try MartHarness()
        try h.apply([
            encounter("A", patient: "P", start: "2020-02-01T00:00:00Z", cost: "0.1"),
            encounter("B", patient: "P", start: "2020-02-02T00:00:00Z", cost: "0.2"),
            encounter("C", patient: "P", start: "2020-02-03T00:00:00Z", cost: "27461.280000000002"),
            encounter("D", patient: "P", start: "2020-02-04T00:00:00Z", cost: "1e2"),
        ])
        // Facts wait for their patient.
        #expect(try h.rows(MartCatalog.encountersByMonth, where: "1").isEmpty)
        try h.apply([patient("P", birth: "1990-01-01")])
        let month = try #require(try h.rows(MartCatalog.encountersByMonth, where: "encounter_month = '2020-02-01'").first)
        #expect(month["total_claim_cost"] == .text("27561.580000000002"))
        #expect(month["encounter_count"] == .integer(4))
        #expect(month["encounter_month_short_name"] == .text("Feb"))
        #expect(month["encounter_month_full_name"] == .text("February"))
        try h.apply([encounter("C", patient: "P", start: "2020-02-03T00:00:00Z", cost: "0.03", ingestedMs: 2_000)])
        #expect(try value(h, MartCatalog.encountersByMonth, "encounter_month = '2020-02-01'", "total_claim_cost") == .text("100.33"))
        #expect(DecimalText.canonical(DecimalText.parse("1.50e-3")!) == "0.0015")
        #expect(DecimalText.canonical(DecimalText.parse("-2.5E+4")!) == "-25000")
        #expect(try h.verify().allSatisfy(\.matches))
    }

    /// Issue 10 item 6: exponent notation stays valid money (spec section 4) and every export
    /// writes it in plain notation (section 9), in row-level and aggregated marts alike.
    @Test("money in exponent notation is staged exactly and exported in plain notation")
    mutating func exponentMoneyExported() throws {
        let h = try MartHarness()
        try h.apply([patient("P", birth: "1990-01-01"), encounter("E", patient: "P", start: "2021-03-04T05:06:07Z", cost: "1e5"),
                     version(.medications, ["START": "2021-03-04T05:06:07Z", "PATIENT": "P", "ENCOUNTER": "E", "CODE": "123",
                                            "BASE_COST": "2.5E-1", "DISPENSES": "4", "TOTALCOST": "1.0e1", "PAYER_COVERAGE": "-0E0"])])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("money-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try MartExporter(database: h.store.database).exportCSV(to: out)
        func column(_ mart: MartDefinition, _ name: String) throws -> String {
            let lines = try String(contentsOfFile: "\(out)/\(mart.name).csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let index = try #require(lines[0].firstIndex { $0 == name }, "\(mart.name) has no \(name)")
            return String(lines[1][index])
        }
        #expect(try column(MartCatalog.encounters, "total_claim_cost") == "100000")
        #expect(try column(MartCatalog.encountersByMonth, "total_claim_cost") == "100000")
        #expect(try column(MartCatalog.medications, "base_cost") == "0.25")
        #expect(try column(MartCatalog.medications, "total_cost") == "10")
        #expect(try column(MartCatalog.medications, "payer_coverage") == "0")
        #expect(try h.verify().allSatisfy(\.matches))
    }

    @Test("dimension values disappear when no current row uses them; no SSN in any mart")
    mutating func distinctDimensions() throws {
        let h = try MartHarness()
        let condition = ["START": "2020-01-01", "PATIENT": "P", "ENCOUNTER": "A", "CODE": "38341003", "DESCRIPTION": "Hypertension (disorder)"]
        try h.apply([patient("P", birth: "1970-01-01"), encounter("A", patient: "P", start: "2020-01-01T00:00:00Z"),
                     version(.conditions, condition)])
        #expect(try h.rows(MartCatalog.dimConditions).map { $0.prefix(3) } == [[.text("38341003"), .text("Hypertension"), .text("disorder")]])
        var newer = condition
        newer["DESCRIPTION"] = "Essential hypertension (disorder)"
        try h.apply([version(.conditions, newer, ingestedMs: 2_000)])
        #expect(try h.rows(MartCatalog.dimConditions).map { $0[1] } == [.text("Essential hypertension")])
        #expect(try value(h, MartCatalog.conditions, "encounter_id = 'A'", "encounter_class") == .text("Ambulatory"))
        // An older version arriving late changes nothing.
        try h.apply([version(.conditions, condition, ingestedMs: 1_500)])
        #expect(try h.rows(MartCatalog.dimConditions).map { $0[1] } == [.text("Essential hypertension")])
        for mart in MartCatalog.all { #expect(!mart.columns.contains { ["ssn", "drivers", "passport"].contains($0) }, "\(mart.name)") }
        #expect(try h.verify().allSatisfy(\.matches))
    }

    @Test("patient_medication_id is the MD5 of the natural key")
    func medicationID() {
        #expect(DerivedFields.medicationID(naturalKey: "") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(DerivedFields.medicationID(naturalKey: "The quick brown fox jumps over the lazy dog") == "9e107d9d372bb6826bd81d3542a419d6")
    }

    @Test("columns outside the declared ones are kept lower-cased as JSON in extra_fields (empty ones dropped); none gives NULL")
    mutating func undeclaredColumns() throws {
        let h = try MartHarness()
        var plain = patient("P1", birth: "1980-05-31")
        plain.row["LAST"] = ""  // a declared column present but empty is not an extra
        var extended = patient("P2", birth: "1981-01-02")
        extended.row["Custom_Note"] = "seen twice"  // exactly one column more than declared
        var emptyExtra = patient("P3", birth: "1982-03-04")
        emptyExtra.row["ZZ_EMPTY"] = ""
        try h.apply([plain, extended, emptyExtra])
        let statement = try h.store.database.prepare("SELECT natural_key, extra_fields FROM current_patients ORDER BY natural_key")
        let rows = try statement.rows()
        #expect(rows == [[.text("P1"), .null], [.text("P2"), .text(#"{"custom_note":"seen twice"}"#)], [.text("P3"), .null]])
        guard case .accepted(let staged) = Stager.stage(.patients, value: extended.row, key: "P2"),
              case .accepted(let stagedEmpty) = Stager.stage(.patients, value: emptyExtra.row, key: "P3") else {
            Issue.record("a patient with an extra column was refused")
            return
        }
        #expect(staged.fields["custom_note"] == .text("seen twice"))
        #expect(stagedEmpty.fields["zz_empty"] == nil && stagedEmpty.fields.count == staged.fields.count - 1)
    }
}
