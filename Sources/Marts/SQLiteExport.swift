import Chronology
import Foundation
import State

/// `emr export --format sqlite`: one database, `marts.sqlite`, with a table per mart (the
/// mart's declared column types, the grain as primary key, rows in grain order) and the
/// manifest as tables (`manifest`: format, export time, source; `manifest_offsets`: the next
/// offset of every partition the snapshot reflects; `manifest_marts`: rows per mart). Written
/// by a connection of its own while the state file is read in one transaction.
enum SQLiteExport {
    static let fileName = "marts.sqlite"

    static func write(_ db: SQLiteDatabase, into directory: String, tables: [ExportTable], offsets: [ExportedOffset],
                      deidentified: Bool) throws -> [String: Int] {
        let out = try SQLiteDatabase(path: (directory as NSString).appendingPathComponent(fileName))
        defer { out.close() }
        var rows: [String: Int] = [:]
        try out.transaction {
            for table in tables {
                let columns = table.columns.map { "\($0) \(table.addedTypes[$0] ?? table.mart.type(of: $0)?.sqlType ?? "TEXT")" }
                try out.execute("CREATE TABLE \(table.name) (\(columns.joined(separator: ", ")), PRIMARY KEY (\(table.mart.grain.joined(separator: ", ")))) WITHOUT ROWID")
                let insert = try out.prepare("INSERT INTO \(table.name) VALUES (\((1...table.columns.count).map { "?\($0)" }.joined(separator: ", ")))")
                rows[table.name] = try table.forEachRow(in: db) { values in try insert.bind(values).run() }
            }
            try out.execute("""
                CREATE TABLE manifest (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE manifest_offsets (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition));
                CREATE TABLE manifest_marts (name TEXT PRIMARY KEY, rows INTEGER NOT NULL);
                """)
            var manifest = [("format", "sqlite"), ("exported_at", CivilTime.nowTimestamp), ("state", db.path), ("deidentified", deidentified ? "true" : "false")]
            if deidentified { manifest += [("deidentification_method", SafeHarbor.method)] + SafeHarbor.rules.enumerated().map { ("deidentification_rule_\($0.offset + 1)", $0.element) } }
            for (name, value) in manifest {
                try out.prepare("INSERT INTO manifest VALUES (?1, ?2)").bind(.text(name), .text(value)).run()
            }
            for offset in offsets {
                try out.prepare("INSERT INTO manifest_offsets VALUES (?1, ?2, ?3)")
                    .bind(.text(offset.topic), .integer(Int64(offset.partition)), .integer(offset.nextOffset)).run()
            }
            for (name, count) in rows { try out.prepare("INSERT INTO manifest_marts VALUES (?1, ?2)").bind(.text(name), .integer(Int64(count))).run() }
        }
        return rows
    }
}
