import Chronology
import Foundation
import State
import Synthea

/// What an export wrote.
public struct ExportSummary: Sendable {
    /// Where the export is (its final place).
    public var directory: String
    public var rows: [String: Int]
    /// Next offset of every partition the snapshot reflects, by topic, then partition.
    public var offsets: [ExportedOffset]
}

/// The next offset of one partition that an export reflects.
public struct ExportedOffset: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var nextOffset: Int64
}

/// `emr export --format csv`: one `<mart>.csv` per mart (spec section 9) and `manifest.json`
/// naming the offsets the snapshot reflects, all read in one transaction, so the files are one
/// consistent point in time while a consumer keeps writing (WAL snapshot).
public struct MartExporter {
    public let database: SQLiteDatabase
    /// What the manifest names as the source (`state`): the state file, or the directories
    /// merged into the database read.
    public let source: String

    public init(database: SQLiteDatabase, source: String? = nil) {
        self.database = database
        self.source = source ?? database.path
    }

    /// Writes the export into a temporary directory beside `directory` and renames it into
    /// place only when every file is complete: a failed export (disk full, killed) leaves no
    /// partial files, and readers never see a half-written export. A non-empty `directory` is
    /// refused unless `replace` (then the old export is swapped out once the new one is whole).
    public func exportCSV(to directory: String, replace: Bool = false, marts: [MartDefinition] = MartCatalog.all) throws -> ExportSummary {
        try export(.csv, to: directory, replace: replace, marts: marts)
    }

    /// The export in any format, all marts read in one transaction (one consistent point in
    /// time), written atomically as ``exportCSV(to:replace:marts:)`` describes; de-identified by
    /// `safeHarbor` when given (the manifest then lists its rules).
    public func export(_ format: ExportFormat, to directory: String, replace: Bool = false, marts: [MartDefinition] = MartCatalog.all,
                       safeHarbor: SafeHarbor? = nil) throws -> ExportSummary {
        let tables = marts.map { safeHarbor?.table(for: $0) ?? .plain($0) }
        return try ExportDirectory.write(to: directory, replace: replace) { staging in
            var summary = try database.readTransaction { () throws -> ExportSummary in
                let rows: [String: Int]
                switch format {
                case .csv: rows = try writeCSV(into: staging, tables: tables)
                case .jsonl: rows = try JSONLinesExport.write(database, into: staging, tables: tables)
                case .sqlite: rows = try SQLiteExport.write(database, into: staging, tables: tables, offsets: try storedOffsets(),
                                                            deidentified: safeHarbor != nil)
                }
                let summary = ExportSummary(directory: staging, rows: rows, offsets: try storedOffsets())
                try Self.writeManifest(summary, format: format, tables: tables, source: source, deidentified: safeHarbor != nil)
                return summary
            }
            summary.directory = directory
            return summary
        }
    }

    /// Next offset of every partition as stored in the state file, by topic, then partition.
    func storedOffsets() throws -> [ExportedOffset] {
        try ConsumedOffsets.read(database).flatMap { topic, partitions in
            partitions.map { ExportedOffset(topic: topic, partition: $0.key, nextOffset: $0.value) }
        }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    private func writeCSV(into directory: String, tables: [ExportTable]) throws -> [String: Int] {
        var rows: [String: Int] = [:]
        for table in tables {
            let path = (directory as NSString).appendingPathComponent("\(table.name).csv")
            let writer = try CSVWriter(path: path, header: table.columns)
            rows[table.name] = try table.forEachRow(in: database) { values in try writer.write(values.map(Self.field)) }
            try writer.close()
        }
        return rows
    }

    /// Every exported column of a mart in export order, ordered by its grain.
    public static func selectSQL(_ mart: MartDefinition) -> String {
        "SELECT \(mart.columns.joined(separator: ", ")) FROM \(mart.name) ORDER BY \(mart.grain.joined(separator: ", "))"
    }

    /// A CSV field: null as empty, numbers in plain notation (no exponent).
    public static func field(_ value: SQLiteValue) -> String {
        switch value {
        case .null: ""
        case .integer(let v): String(v)
        case .real(let v): plain(v)
        case .text(let v): v
        case .blob(let v): String(decoding: v, as: UTF8.self)
        }
    }

    /// Shortest round-trip digits, written without an exponent.
    static func plain(_ value: Double) -> String {
        let text = String(value)
        guard text.contains("e") else { return text.hasSuffix(".0") ? String(text.dropLast(2)) : text }
        return DecimalText.parse(text).map(DecimalText.canonical) ?? text
    }

    private static func writeManifest(_ summary: ExportSummary, format: ExportFormat, tables: [ExportTable], source: String,
                                      deidentified: Bool) throws {
        var manifest: [String: Any] = [
            "format": format.rawValue,
            "exported_at": CivilTime.nowTimestamp,
            "state": source,
            "marts": tables.map { table -> [String: Any] in
                ["name": table.name, "file": format == .sqlite ? SQLiteExport.fileName : "\(table.name).\(format.rawValue)",
                 "rows": summary.rows[table.name] ?? 0, "columns": table.columns]
            },
            "offsets": summary.offsets.map { offset -> [String: Any] in
                ["topic": offset.topic, "partition": Int(offset.partition), "next_offset": offset.nextOffset]
            },
            "deidentified": deidentified,
        ]
        if deidentified { manifest["deidentification"] = ["method": SafeHarbor.method, "rules": SafeHarbor.rules] }
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: (summary.directory as NSString).appendingPathComponent("manifest.json")))
    }
}

/// The formats of `emr export`.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// One `<mart>.csv` per mart (spec section 9).
    case csv
    /// One `<mart>.jsonl` per mart: an object per row, keys in column order.
    case jsonl
    /// One SQLite database `marts.sqlite`: a table per mart, typed, grain as primary key.
    case sqlite
}
