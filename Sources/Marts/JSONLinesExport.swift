import Foundation
import State

/// `emr export --format jsonl`: `<mart>.jsonl` per mart, one JSON object per row with the
/// spec's column names in column order; integers and doubles as JSON numbers (doubles with
/// the CSV's shortest round-trip digits), exact money and every other text as strings, null as
/// null. Rows in grain order.
enum JSONLinesExport {
    static func write(_ db: SQLiteDatabase, into directory: String, marts: [MartDefinition]) throws -> [String: Int] {
        var rows: [String: Int] = [:]
        for mart in marts {
            let path = (directory as NSString).appendingPathComponent("\(mart.name).jsonl")
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw ExportError("\(path): cannot create file")
            }
            defer { try? handle.close() }
            let keys = mart.columns.map { Array("\"\(escape($0))\":".utf8) }
            let statement = try db.prepare(MartExporter.selectSQL(mart))
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 17)
            var count = 0
            while try statement.step() {
                buffer.append(UInt8(ascii: "{"))
                for (i, key) in keys.enumerated() {
                    if i > 0 { buffer.append(UInt8(ascii: ",")) }
                    buffer.append(contentsOf: key)
                    buffer.append(contentsOf: value(statement.value(i)).utf8)
                }
                buffer.append(contentsOf: "}\n".utf8)
                count += 1
                if buffer.count >= 1 << 16 {
                    try handle.write(contentsOf: buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try handle.write(contentsOf: buffer)
            rows[mart.name] = count
        }
        return rows
    }

    static func value(_ value: SQLiteValue) -> String {
        switch value {
        case .null: "null"
        case .integer(let v): String(v)
        case .real(let v): v.isFinite ? MartExporter.plain(v) : "null"
        case .text(let v): "\"\(escape(v))\""
        case .blob(let v): "\"\(escape(String(decoding: v, as: UTF8.self)))\""
        }
    }

    /// A JSON string's content: quotes, backslashes and control characters escaped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
