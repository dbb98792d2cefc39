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

/// `emr verify`: recomputes every mart in one batch from the current-version tables (each
/// mart's declared derivation, ``MartCatalog``) and diffs it, row for row and value for value, against the incremental marts.
public struct MartVerifier {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Compares all 11 marts, the dashboard's summary tables (``ReportSummaries``), the
    /// encounter chains' numbers (``EncounterChains``) and the natural keys' hashes
    /// (``naturalKeysCheckName``) in one read snapshot.
    public func verify() throws -> [MartComparison] {
        try database.readTransaction {
            let inputs = Self.batchInputs(windowDays: try MartMaintainer.storedWindow(database) ?? 7)
            var results: [MartComparison] = []
            for mart in MartCatalog.all {
                let batch = "temp.batch_\(mart.name)"
                try database.execute("DROP TABLE IF EXISTS \(batch); CREATE TABLE \(batch) AS SELECT * FROM main.\(mart.name) WHERE 0")
                try database.execute("INSERT INTO \(batch) \(mart.batchSQL(inputs))")
                results.append(try compare(mart.name, batch: batch))
            }
            // The dashboard's summary tables, against the batch encounter facts.
            for (name, sql) in zip(ReportSummaries.names, ReportSummaries.batchDefinitions(encounterFacts: inputs.encounterFacts)) {
                try database.execute("DROP TABLE IF EXISTS temp.batch_\(name); CREATE TABLE temp.batch_\(name) AS SELECT * FROM main.\(name) WHERE 0")
                try database.execute("INSERT INTO temp.batch_\(name) \(sql)")
                results.append(try compare(name, batch: "temp.batch_\(name)"))
            }
            // The chain numbers the incremental path looks encounters up by (both sides are queries).
            results.append(try compare(EncounterChains.checkName, live: "(\(EncounterChains.numbered))", batch: "(\(EncounterChains.expected))"))
            results.append(try naturalKeys())
            for name in MartCatalog.all.map(\.name) + ReportSummaries.names { try database.execute("DROP TABLE IF EXISTS temp.batch_\(name)") }
            return results
        }
    }

    /// What the batch definitions read: the batch facts computed before them in this check.
    static func batchInputs(windowDays: Int64) -> MartInputs {
        MartInputs(encounterFacts: "temp.batch_\(MartCatalog.encounters.name)", medicationFacts: "temp.batch_\(MartCatalog.medications.name)",
                   readmissionWindowDays: windowDays)
    }

    /// What `emr verify` calls the check of the current versions found by ``KeyHash``.
    public static let naturalKeysCheckName = "natural_keys"

    /// The current versions looked up by ``KeyHash`` (migration 11), where no unique index
    /// stands guard: missing, those whose `key_hash` is not their key's; unexpected, a second
    /// row of the same natural key.
    private func naturalKeys() throws -> MartComparison {
        var result = MartComparison(mart: Self.naturalKeysCheckName, rows: 0, missing: 0, unexpected: 0, examples: [])
        for (entity, _, _) in MartSchema.factEntities {
            let table = MartSchema.currentTable(entity)
            result.rows += Int(try database.scalar("SELECT count(*) FROM \(table)")?.int ?? 0)
            let wrongHash = "SELECT '\(table)', natural_key, key_hash FROM \(table) WHERE key_hash IS NOT emr_key_hash(natural_key)"
            let repeated = "SELECT '\(table)', natural_key, count(*) FROM \(table) GROUP BY natural_key HAVING count(*) > 1"
            result.missing += Int(try database.scalar("SELECT count(*) FROM (\(wrongHash))")?.int ?? 0)
            result.unexpected += Int(try database.scalar("SELECT sum(n - 1) FROM (SELECT count(*) AS n FROM \(table) GROUP BY natural_key HAVING n > 1)")?.int ?? 0)
            result.examples += try render(wrongHash, label: "hash not the key's") + render(repeated, label: "key twice")
        }
        return result
    }

    /// `live` and `batch`: a table, or a parenthesised query; `live` defaults to the table `name`.
    private func compare(_ name: String, live: String? = nil, batch: String) throws -> MartComparison {
        let live = live ?? "main.\(name)"
        let rows = Int(try database.scalar("SELECT count(*) FROM \(live)")?.int ?? 0)
        let missingSQL = "SELECT * FROM \(batch) EXCEPT SELECT * FROM \(live)"
        let unexpectedSQL = "SELECT * FROM \(live) EXCEPT SELECT * FROM \(batch)"
        let missing = Int(try database.scalar("SELECT count(*) FROM (\(missingSQL))")?.int ?? 0)
        let unexpected = Int(try database.scalar("SELECT count(*) FROM (\(unexpectedSQL))")?.int ?? 0)
        var examples: [String] = []
        if missing > 0 { examples += try render(missingSQL, label: "expected") }
        if unexpected > 0 { examples += try render(unexpectedSQL, label: "found") }
        return MartComparison(mart: name, rows: rows, missing: missing, unexpected: unexpected, examples: examples)
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
