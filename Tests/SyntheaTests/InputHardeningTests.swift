import Foundation
import Staging
import Synthea
import TestSupport
import Testing

/// Issue 10 items 4, 6 and 8: bytes that are not UTF-8, records that never end, encounters
/// that stop before they start. Each test fails without its fix.
@Suite("Input hardening: UTF-8, record size, encounter times")
struct InputHardeningTests {
    private func file(_ bytes: [UInt8]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hardening-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("patients.csv")
        try Data(bytes).write(to: url)
        return url.path
    }

    private func readAll(_ path: String, _ limits: CSVLimits = CSVLimits()) throws(CSVError) -> [CSVRow] {
        let table = try CSVTable(path: path, limits: limits)
        var rows: [CSVRow] = []
        while let row = try table.next() { rows.append(row) }
        return rows
    }

    @Test("item 4: a field that is not UTF-8 is refused with file:line: and the field, not replaced silently", arguments: [
        [0xFF], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80],  // invalid byte, bad continuation, truncated, surrogate
    ] as [[UInt8]])
    func invalidUTF8Refused(bad: [UInt8]) throws {
        let path = try file(Array("Id,FIRST,LAST\n1,Ana,Ok\n2,Jos".utf8) + bad + Array(",Pérez\n".utf8))
        do {
            _ = try readAll(path)
            Issue.record("accepted invalid UTF-8 \(bad)")
        } catch {
            #expect(error.file == path && error.line == 3, "\(error)")
            #expect(error.description.hasPrefix("\(path):3:") && error.description.contains("field 2") && error.description.contains("UTF-8"), "\(error)")
        }
        // Asked for explicitly, the bytes become U+FFFD and the rest stays.
        let rows = try readAll(path, CSVLimits(replaceInvalidUTF8: true))
        #expect(rows.count == 2)
        #expect(rows[1]["FIRST"]?.hasPrefix("Jos\u{FFFD}") == true && rows[1]["LAST"] == "Pérez")
    }

    @Test("item 8: a record longer than the limit stops the read naming file and line; memory stays bounded")
    func recordSizeCapped() throws {
        let long = String(repeating: "x", count: 5_000)
        let path = try file(Array("Id,NOTE\n1,short\n2,\"\(long)\"\n3,\(long)\n".utf8))
        for limit in [4_096, 4_999] {
            do {
                _ = try readAll(path, CSVLimits(maxRecordBytes: limit))
                Issue.record("read a record over \(limit) bytes")
            } catch {
                #expect(error.line == 3 && error.description.contains("longer than \(limit) bytes"), "\(error)")
            }
        }
        #expect(try readAll(path, CSVLimits(maxRecordBytes: 6_000)).count == 3)
        // A line that never ends: /dev/zero as a CSV file (7.8 GB in 14 s before the cap).
        let endless = (path as NSString).deletingLastPathComponent + "/endless.csv"
        try FileManager.default.createSymbolicLink(atPath: endless, withDestinationPath: "/dev/zero")
        do {
            _ = try CSVTable(path: endless)
            Issue.record("read a header from /dev/zero")
        } catch {
            #expect(error.line == 1 && error.description.contains("longer than \(CSVLimits.defaultMaxRecordBytes) bytes"), "\(error)")
        }
    }

    @Test("item 6: an encounter that stops before it starts is refused with a reason; a medication that does passes as it is")
    func stopBeforeStart() {
        let encounter = ["Id": "e1", "START": "2019-02-17T10:00:00Z", "STOP": "1900-01-01T00:00:00Z", "PATIENT": "p",
                         "ORGANIZATION": "o", "ENCOUNTERCLASS": "wellness"]
        guard case .rejected(let reasons) = Stager.stage(.encounters, value: encounter, key: "e1") else {
            Issue.record("accepted an encounter stopping in 1900")
            return
        }
        #expect(reasons == ["STOP: '1900-01-01T00:00:00Z' is before START '2019-02-17T10:00:00Z' (an encounter cannot end before it starts)"])
        var sameInstant = encounter
        sameInstant["STOP"] = encounter["START"]
        guard case .accepted = Stager.stage(.encounters, value: sameInstant, key: "e1") else {
            Issue.record("refused an encounter of zero duration")
            return
        }
        let medication = ["START": "2019-02-17T10:00:00Z", "STOP": "2019-02-10T10:00:00Z", "PATIENT": "p", "ENCOUNTER": "e1",
                          "CODE": "123", "BASE_COST": "1e5", "DISPENSES": "2", "TOTALCOST": "2E5"]
        guard case .accepted(let staged) = Stager.stage(.medications, value: medication, key: nil) else {
            Issue.record("refused a medication whose STOP precedes START (real exports have them)")
            return
        }
        #expect(staged.fields["base_cost"] == .decimal("100000"), "exponent notation in money stays valid")
    }

    @Test("a value holding U+0000 (NUL) is refused naming its field, key fields and others alike: stored, it would be cut short at the NUL")
    func nulRefused() {
        let encounter = ["Id": "e1", "START": "2019-02-17T10:00:00Z", "PATIENT": "p", "ORGANIZATION": "o", "ENCOUNTERCLASS": "wellness",
                         "DESCRIPTION": "check-up"]
        guard case .accepted = Stager.stage(.encounters, value: encounter, key: "e1") else {
            Issue.record("refused the encounter without a NUL")
            return
        }
        for (column, key) in [("Id", "e1\u{0}x"), ("DESCRIPTION", "e1"), ("EXTRA_NOTE", "e1")] {
            var bad = encounter
            bad[column] = (bad[column] ?? "note") + "\u{0}x"
            guard case .rejected(let reasons) = Stager.stage(.encounters, value: bad, key: key) else {
                Issue.record("accepted a NUL in \(column)")
                continue
            }
            #expect(reasons == ["\(column): contains the character U+0000 (NUL), which the state cannot store"], "\(column): \(reasons)")
        }
    }
}
