import State

/// Merges the marts of several state files that each hold whole, distinct tasks (the patient
/// partitions of co-partitioned topics, or the reference topics) into one state file whose
/// marts equal those of a single consumer of everything. Row-level marts are unions (a patient,
/// and so every fact of it, lives in one task); aggregates are sums of the tasks' partial
/// rows (counts, exact decimals, reference counts); offsets and counters are combined; the
/// dashboard's summaries (``ReportSummaries``) are built from the merged encounter facts when
/// asked for.
///
/// Not promised: a record whose newer version names another patient (it then lives in two
/// tasks and both versions count).
public enum MartMerge {
    /// Two inputs hold the same partition: they are not distinct tasks.
    public struct OverlapError: Error, Sendable, Equatable, CustomStringConvertible {
        public var topic: String
        public var partition: Int32
        public var files: [String]
        public init(topic: String, partition: Int32, files: [String]) {
            self.topic = topic
            self.partition = partition
            self.files = files
        }
        public var description: String {
            "\(topic)/\(partition) is in more than one state file (\(files.joined(separator: ", "))): "
                + "merged marts would count its records twice; merge files that hold distinct partitions"
        }
    }

    /// The inputs were built with different readmission windows.
    public struct WindowMismatchError: Error, Sendable, Equatable, CustomStringConvertible {
        public var windows: [String: Int64]
        public init(windows: [String: Int64]) { self.windows = windows }
        public var description: String {
            "the state files were built with different readmission windows: "
                + windows.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value) days" }.joined(separator: ", ")
        }
    }

    /// Writes the merged marts of `sources` into a new state file at `target` (which must not
    /// exist). Each source is read in one read transaction (a consistent point of it). With
    /// `summaries` (for the dashboard's report) the summary tables are built from the merged
    /// encounter facts; an export, which reads marts only, leaves them empty (at 6,000 patients
    /// building them adds about 1.4 s and 25 MB to a merge of about 6.5 s).
    public static func merge(_ sources: [String], into target: String, summaries: Bool = true) throws {
        let merged = try StateStore(path: target, migrations: MartSchema.migrations)
        defer { merged.close() }
        let db = merged.database
        let marts = MartCatalog.all
        for mart in marts { try db.execute("CREATE TEMP TABLE partial_\(mart.name) AS SELECT * FROM main.\(mart.name) WHERE 0") }
        var owners: [String: [String]] = [:]
        var windows: [String: Int64] = [:]
        try db.transaction {
            for path in sources {
                let source = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
                defer { source.close() }
                try source.database.readTransaction {
                    if let window = try MartMaintainer.storedWindow(source.database) { windows[path] = window }
                    for (topic, partitions) in try source.storedOffsets() {
                        for (partition, next) in partitions {
                            owners["\(topic)\u{0}\(partition)", default: []].append(path)
                            try db.prepare("""
                                INSERT INTO consumed_offsets (topic, partition, next_offset, updated_at) VALUES (?1, ?2, ?3, '')
                                ON CONFLICT (topic, partition) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)
                                """).bind(.text(topic), .integer(Int64(partition)), .integer(next)).run()
                        }
                    }
                    for counter in StateCounter.allCases { try merged.add(try source.counter(counter), to: counter) }
                    for mart in marts { try copy(mart, from: source.database, into: db) }
                }
            }
            if let overlap = owners.first(where: { $0.value.count > 1 }) {
                let parts = overlap.key.split(separator: "\u{0}")
                throw OverlapError(topic: String(parts[0]), partition: Int32(parts[1]) ?? 0, files: overlap.value)
            }
            guard Set(windows.values).count <= 1 else { throw WindowMismatchError(windows: windows) }
            if let window = windows.values.first {
                try db.prepare("INSERT OR REPLACE INTO mart_settings (name, value) VALUES ('readmission_window_days', ?1)").bind(.text(String(window))).run()
            }
            for mart in marts { try combine(mart, in: db) }
            // The dashboard's summaries are a function of the encounter facts: built from the merged ones.
            if summaries {
                for (name, sql) in zip(ReportSummaries.names, ReportSummaries.batchDefinitions(encounterFacts: "main.fact_patient_encounters")) {
                    try db.execute("INSERT INTO main.\(name) \(sql)")
                }
            }
        }
    }

    /// Copies every row (internal columns too) of a mart into its partial table.
    private static func copy(_ mart: MartDefinition, from source: SQLiteDatabase, into db: SQLiteDatabase) throws {
        let columns = mart.columns + mart.internalColumns
        let read = try source.prepare("SELECT \(columns.joined(separator: ", ")) FROM \(mart.name)")
        let write = try db.prepare("INSERT INTO temp.partial_\(mart.name) (\(columns.joined(separator: ", "))) VALUES (\(columns.indices.map { "?\($0 + 1)" }.joined(separator: ", ")))")
        defer { read.reset() }
        while try read.step() {
            try write.bind((0..<columns.count).map(read.value)).run()
        }
    }

    /// Fills a mart from its partial rows: a union, or the grain's sums.
    private static func combine(_ mart: MartDefinition, in db: SQLiteDatabase) throws {
        let columns = mart.columns + mart.internalColumns
        let select: String
        if let combination = mart.combination {
            let expressions = columns.map { column in combination[column] ?? column }
            select = "SELECT \(expressions.joined(separator: ", ")) FROM temp.partial_\(mart.name) GROUP BY \(mart.grain.joined(separator: ", "))"
        } else {
            select = "SELECT \(columns.joined(separator: ", ")) FROM temp.partial_\(mart.name)"
        }
        try db.execute("INSERT INTO main.\(mart.name) (\(columns.joined(separator: ", "))) \(select)")
    }
}
