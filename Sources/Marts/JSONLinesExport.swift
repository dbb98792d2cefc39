import Foundation
import State
import Synthea

/// `emr export --format jsonl`: `<mart>.jsonl` per mart, one JSON object per row with the
/// spec's column names in column order; integers and doubles as JSON numbers (doubles with
/// the CSV's shortest round-trip digits), exact money and every other text as strings, null as
/// null. Rows in grain order.
enum JSONLinesExport {
    static func write(_ db: SQLiteDatabase, into directory: String, tables: [ExportTable]) throws -> [String: Int] {
        var rows: [String: Int] = [:]
        for table in tables {
            let path = (directory as NSString).appendingPathComponent("\(table.name).jsonl")
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw ExportError("\(path): cannot create file")
            }
            defer { try? handle.close() }
            let keys = table.columns.map { column -> [UInt8] in
                var key: [UInt8] = []
                JSONText.appendString(column, to: &key)
                return key + [UInt8(ascii: ":")]
            }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 17)
            rows[table.name] = try table.forEachRow(in: db) { values in
                buffer.append(UInt8(ascii: "{"))
                for (i, key) in keys.enumerated() {
                    if i > 0 { buffer.append(UInt8(ascii: ",")) }
                    buffer.append(contentsOf: key)
                    append(values[i], to: &buffer)
                }
                buffer.append(contentsOf: "}\n".utf8)
                if buffer.count >= 1 << 16 {
                    try handle.write(contentsOf: buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try handle.write(contentsOf: buffer)
        }
        return rows
    }

    static func append(_ value: SQLiteValue, to buffer: inout [UInt8]) {
        switch value {
        case .null: buffer.append(contentsOf: "null".utf8)
        case .integer(let v): buffer.append(contentsOf: String(v).utf8)
        case .real(let v): buffer.append(contentsOf: (v.isFinite ? MartExporter.plain(v) : "null").utf8)
        case .text(let v): JSONText.appendString(v, to: &buffer)
        case .blob(let v): JSONText.appendString(String(decoding: v, as: UTF8.self), to: &buffer)
        }
    }
}
