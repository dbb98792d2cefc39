import State

/// How one mart compares with its batch recomputation.
public struct MartComparison: Sendable, Hashable {
    public var mart: String
    public var rows: Int
    /// Rows the batch definition has and the incremental mart lacks (or has with other values).
    public var missing: Int
    /// Rows the incremental mart has that the batch definition does not.
    public var unexpected: Int
    /// A few differing rows, rendered, for the report.
    public var examples: [String]

    public var matches: Bool { missing == 0 && unexpected == 0 }
}

/// `emr verify`: recomputes every mart in one batch from the current-version tables (the SQL of
/// ``MartQueries``) and diffs it, row for row and value for value, against the incremental marts.
public struct MartVerifier {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Compares all 11 marts and the dashboard's summary tables (``ReportSummaries``) in one read snapshot.
    public func verify() throws -> [MartComparison] {
        try database.readTransaction {
            let window = try MartMaintainer.storedWindow(database) ?? 7
            var results: [MartComparison] = []
            for mart in MartCatalog.all {
                let batch = "temp.batch_\(mart.name)"
                try database.execute("DROP TABLE IF EXISTS \(batch); CREATE TABLE \(batch) AS SELECT * FROM main.\(mart.name) WHERE 0")
                try database.prepare("INSERT INTO \(batch) \(Self.batchDefinition(of: mart))").bind(Self.needsWindow(mart) ? [.integer(window)] : []).run()
                results.append(try compare(mart.name, batch: batch))
            }
            // The dashboard's summary tables, against the batch encounter facts.
            let encounterFacts = "temp.batch_\(MartCatalog.encounters.name)"
            for (name, sql) in zip(ReportSummaries.names, ReportSummaries.batchDefinitions(encounterFacts: encounterFacts)) {
                try database.execute("DROP TABLE IF EXISTS temp.batch_\(name); CREATE TABLE temp.batch_\(name) AS SELECT * FROM main.\(name) WHERE 0")
                try database.execute("INSERT INTO temp.batch_\(name) \(sql)")
                results.append(try compare(name, batch: "temp.batch_\(name)"))
            }
            for name in MartCatalog.all.map(\.name) + ReportSummaries.names { try database.execute("DROP TABLE IF EXISTS temp.batch_\(name)") }
            return results
        }
    }

    private static func needsWindow(_ mart: MartDefinition) -> Bool { mart.name == MartCatalog.readmissions.name }

    /// The batch definition of a mart, producing its columns (internal ones included) in table order.
    static func batchDefinition(of mart: MartDefinition) -> String {
        let encounterFacts = "temp.batch_\(MartCatalog.encounters.name)"
        switch mart.name {
        case MartCatalog.dimPatients.name: return MartQueries.dimension(mart, from: "patients", filter: "1")
        case MartCatalog.dimOrganizations.name: return MartQueries.dimension(mart, from: "organizations", filter: "1")
        case MartCatalog.dimProviders.name: return MartQueries.dimension(mart, from: "providers", filter: "1")
        case MartCatalog.dimConditions.name: return MartQueries.dimConditionsBatch
        case MartCatalog.dimMedications.name: return MartQueries.dimMedicationsBatch
        case MartCatalog.encounters.name: return MartQueries.encounters(filter: "1")
        case MartCatalog.readmissions.name: return MartQueries.readmissionsBatch(encounterFacts: encounterFacts)
        case MartCatalog.encountersByMonth.name: return MartQueries.byMonthBatch(encounterFacts: encounterFacts)
        case MartCatalog.conditions.name: return MartQueries.conditions(filter: "1", encounterFacts: encounterFacts)
        case MartCatalog.medications.name: return MartQueries.medications(filter: "1")
        default: return MartQueries.topMedicationsBatch(medicationFacts: "temp.batch_\(MartCatalog.medications.name)")
        }
    }

    private func compare(_ table: String, batch: String) throws -> MartComparison {
        let rows = Int(try database.scalar("SELECT count(*) FROM main.\(table)")?.int ?? 0)
        let missingSQL = "SELECT * FROM \(batch) EXCEPT SELECT * FROM main.\(table)"
        let unexpectedSQL = "SELECT * FROM main.\(table) EXCEPT SELECT * FROM \(batch)"
        let missing = Int(try database.scalar("SELECT count(*) FROM (\(missingSQL))")?.int ?? 0)
        let unexpected = Int(try database.scalar("SELECT count(*) FROM (\(unexpectedSQL))")?.int ?? 0)
        var examples: [String] = []
        if missing > 0 { examples += try render(missingSQL, label: "expected") }
        if unexpected > 0 { examples += try render(unexpectedSQL, label: "found") }
        return MartComparison(mart: table, rows: rows, missing: missing, unexpected: unexpected, examples: examples)
    }

    private func render(_ sql: String, label: String) throws -> [String] {
        try database.prepare("\(sql) LIMIT 3").rows().map { row in
            "\(label): " + row.map { value in
                switch value {
                case .null: "NULL"
                case .integer(let v): String(v)
                case .real(let v): String(v)
                case .text(let v): "'\(v)'"
                case .blob(let v): "<\(v.count) bytes>"
                }
            }.joined(separator: ", ")
        }
    }
}
