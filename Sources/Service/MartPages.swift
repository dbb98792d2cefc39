import Foundation
import Marts
import State

/// A request the API refuses (HTTP 400), with the reason.
struct BadRequest: Error {
    var message: String
}

/// Keyset pages of a mart in the order of its primary key: `WHERE (key) > (cursor) ORDER BY
/// key LIMIT n`, a range scan, never an OFFSET scan. The key is the grain, or for the facts
/// (stored by key id, with no index on the grain: ``MartDefinition/Storage/byKeyID``) their
/// hidden row id, so their pages come in storage order. The cursor is the last row's key
/// values, as JSON in base64url.
enum MartPages {
    static let defaultLimit = 100
    static let maxLimit = 1_000

    /// One page: rows as objects keyed by column name, and the cursor of the next page (nil at
    /// the end). Text (dates, timestamps, exact money) stays text; integers and doubles are numbers.
    static func page(_ db: SQLiteDatabase, _ mart: MartDefinition, limit: Int, after cursor: String?) throws -> (rows: [[String: Any]], next: String?) {
        let key = mart.storage == .byKeyID ? [MartDefinition.keyIDColumn] : mart.grain
        let keyList = key.joined(separator: ", ")
        let selected = mart.columns + mart.storageColumns
        var sql = "SELECT \(selected.joined(separator: ", ")) FROM \(mart.name)"
        var bindings: [SQLiteValue] = []
        if let cursor {
            bindings = try decode(cursor, count: key.count)
            if mart.storage == .byKeyID, !bindings.allSatisfy({ if case .integer = $0 { true } else { false } }) {
                throw BadRequest(message: "after: not a cursor of this mart (its pages go by row number: use the `next` value of the previous page)")
            }
            let marks = (1...bindings.count).map { "?\($0)" }.joined(separator: ", ")
            sql += " WHERE (\(keyList)) > (\(marks))"
        }
        sql += " ORDER BY \(keyList) LIMIT \(limit + 1)"
        let statement = try db.prepare(sql)
        _ = try statement.bind(bindings)
        var rows = try statement.rows()
        let more = rows.count > limit
        if more { rows.removeLast() }
        let keyIndexes = key.map { selected.firstIndex(of: $0)! }
        let next = more ? try rows.last.map { row in try encode(keyIndexes.map { row[$0] }) } : nil
        return (rows.map { row in Dictionary(uniqueKeysWithValues: zip(mart.columns, row.map(json))) }, next)
    }

    /// A value as JSON: null, number or string.
    static func json(_ value: SQLiteValue) -> Any {
        switch value {
        case .null: NSNull()
        case .integer(let v): NSNumber(value: v)
        case .real(let v): NSNumber(value: v)
        case .text(let v): v
        case .blob(let v): String(decoding: v, as: UTF8.self)
        }
    }

    static func encode(_ values: [SQLiteValue]) throws -> String {
        let array = values.map(json)
        let data = try JSONSerialization.data(withJSONObject: array)
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String, count: Int) throws -> [SQLiteValue] {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard cursor.count <= 4_096, let data = Data(base64Encoded: base64),
              let array = try? JSONSerialization.jsonObject(with: data) as? [Any], array.count == count else {
            throw BadRequest(message: "after: not a cursor of this mart (use the `next` value of the previous page)")
        }
        return try array.map { item in
            if let text = item as? String { return .text(text) }
            if let number = item as? NSNumber {
                let double = number.doubleValue
                return double == double.rounded() && abs(double) < 9e15 ? .integer(number.int64Value) : .real(double)
            }
            if item is NSNull { return .null }
            throw BadRequest(message: "after: not a cursor of this mart")
        }
    }
}
