import Foundation
import Synthea
import TestSupport
import Testing

@Suite("RFC 4180 reader")
struct CSVReaderTests {
    private func file(_ bytes: [UInt8], name: String = "t.csv") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func file(_ text: String, name: String = "t.csv") throws -> String { try file(Array(text.utf8), name: name) }

    private func rows(_ path: String) throws -> [CSVRow] {
        let table = try CSVTable(path: path)
        var rows: [CSVRow] = []
        while let row = try table.next() { rows.append(row) }
        return rows
    }

    @Test("quoted fields with commas, doubled quotes and line breaks")
    func quotedFields() throws {
        let path = try file("A,B,C\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nplain,,last\n")
        let rows = try rows(path)
        #expect(rows.count == 2)
        #expect(rows[0].values == ["x, y", "say \"hi\"", "two\nlines"])
        #expect(rows[0].line == 2)
        #expect(rows[1].values == ["plain", "", "last"])
        #expect(rows[1].line == 4, "the physical line counts the embedded line break")
        #expect(rows[1]["C"] == "last")
        #expect(rows[1]["Z"] == nil)
    }

    @Test("CRLF and LF line endings, a BOM, UTF-8 and a last line without newline")
    func lineEndingsAndBOM() throws {
        let path = try file([0xEF, 0xBB, 0xBF] + Array("Id,NAME\r\n1,Elena945 Pérez790\r\n2,\"a\r\nb\"\r\n3,end".utf8))
        let rows = try rows(path)
        let table = try CSVTable(path: path)
        #expect(table.header.names == ["Id", "NAME"], "the BOM is not part of the first column name")
        #expect(rows.map { $0.values } == [["1", "Elena945 Pérez790"], ["2", "a\r\nb"], ["3", "end"]])
    }

    @Test("the records and their lines are the same whatever the size of the reads (a BOM, quotes, CRLF and UTF-8 split between them)")
    func chunkBoundaries() throws {
        let text = "Id,NAME,NOTE\r\n1,Elena945 Pérez790,\"x, \"\"y\"\"\"\r\n2,\"a\r\nb\",\n3,,end\n4,ä,\"\"\r\n5,last,\"\"\"\""
        let path = try file([0xEF, 0xBB, 0xBF] + Array(text.utf8))
        func read(_ chunkSize: Int) throws -> [String] {
            let reader = try CSVReader(path: path, chunkSize: chunkSize)
            var records: [String] = []
            while let record = try reader.next() { records.append("\(record.line): \(record.fields)") }
            return records
        }
        let whole = try read(1 << 16)
        #expect(whole.count == 6 && whole[0] == "1: [\"Id\", \"NAME\", \"NOTE\"]" && whole[3] == "5: [\"3\", \"\", \"end\"]", "\(whole)")
        for chunkSize in [1, 2, 3, 5, 7, 16] {
            #expect(try read(chunkSize) == whole, "reads of \(chunkSize) bytes")
        }
    }

    @Test("a truncated last line is an error naming file and line")
    func truncatedLastLine() throws {
        let path = try file("A,B,C\n1,2,3\n4,5")
        #expect(throws: CSVError(file: path, line: 3, message: "expected 3 fields as in the header, found 2 (truncated or malformed line)")) {
            _ = try rows(path)
        }
        let open = try file("A,B\n1,\"never closed\n")
        do {
            _ = try rows(open)
            Issue.record("accepted an unterminated quote")
        } catch let error as CSVError {
            #expect(error.line == 2)
            #expect(error.message.contains("unterminated"))
        }
    }

    @Test("a header without a required column is refused naming file and column")
    func missingRequiredColumn() throws {
        let dir = URL(fileURLWithPath: try file("Id,START,STOP,PATIENT,ORGANIZATION\n", name: "encounters.csv")).deletingLastPathComponent()
        let export = try SyntheaExport(directory: dir.path)
        #expect(throws: CSVError(file: dir.appendingPathComponent("encounters.csv").path, line: 1,
                                 message: "missing required column ENCOUNTERCLASS for encounters")) {
            _ = try export.open(.encounters)
        }
        #expect(throws: CSVError.self) { _ = try export.open(.patients) }
    }

    @Test("natural keys join key columns with | and keep an empty STOP")
    func naturalKeys() throws {
        let header = try CSVHeader(["START", "STOP", "PATIENT", "ENCOUNTER", "CODE", "BASE_COST", "DISPENSES", "EXTRA"], file: "m")
        let row = CSVRow(header: header, values: ["2020-01-01T00:00:00Z", "", "p", "e", "123", "1.5", "2", "x"], line: 2)
        #expect(EntitySchema.of(.medications).naturalKey(of: row) == "e|123|2020-01-01T00:00:00Z||1.5|2")
    }

    @Test("every shared export reads without loss", SharedExports.condition, arguments: SharedExports.names)
    func sharedExportCounts(name: String) throws {
        let export = try SyntheaExport(directory: SharedExports.path(name))
        let counts = try export.rowCounts()
        let expected = SharedExports.counts[name]!
        let order: [Entity] = [.patients, .encounters, .conditions, .medications, .organizations, .providers]
        #expect(order.map { counts[$0]! } == expected, "\(name)")
    }
}
