/// The state database's versioned schema. Each migration runs once, in order, inside one
/// transaction, and bumps `PRAGMA user_version`; a file from a newer emr is refused.
public enum StateSchema {
    /// Migrations of the base tables by version (index 0 is version 1). Layers above append
    /// their own (see ``StateStore/init(path:migrations:)``).
    public static let baseMigrations: [String] = [
        // 1: consumed offsets, quarantine, counters.
        """
        CREATE TABLE consumed_offsets (
            topic TEXT NOT NULL,
            partition INTEGER NOT NULL,
            next_offset INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (topic, partition)
        ) WITHOUT ROWID;
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            topic TEXT NOT NULL,
            partition INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            stage TEXT NOT NULL,
            reasons TEXT NOT NULL,
            message_key BLOB,
            message_value BLOB,
            headers TEXT NOT NULL,
            quarantined_at TEXT NOT NULL,
            UNIQUE (topic, partition, offset)
        );
        CREATE TABLE counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
    ]

    /// Named facts about the state file (version 4), such as the Kafka cluster its offsets
    /// belong to (`kafka_cluster_id`).
    public static let propertiesMigration = """
        CREATE TABLE state_properties (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """

    /// Gaps an operator accepted (`emr consume --accept-gap`): records deleted from the log
    /// before the state file saw them. Appended after the marts' migration (version 3).
    public static let acceptedGapsMigration = """
        CREATE TABLE accepted_gaps (
            id INTEGER PRIMARY KEY,
            topic TEXT NOT NULL,
            partition INTEGER NOT NULL,
            from_offset INTEGER NOT NULL,
            to_offset INTEGER NOT NULL,
            log_end INTEGER NOT NULL,
            accepted_at TEXT NOT NULL
        );
        """

    /// Refuses a file written by a newer emr, before anything is written to it.
    static func checkVersion(_ db: SQLiteDatabase, known: Int) throws -> Int {
        let version = Int(try db.scalar("PRAGMA user_version")?.int ?? 0)
        if version > known {
            throw StateError(.newerSchema, path: db.path,
                             message: "state database has schema version \(version), newer than this emr understands (\(known)); refusing to touch it")
        }
        return version
    }

    /// `PRAGMA application_id` of every emr state file ("EMRS"), so that `file(1)`, SQLite
    /// tools and emr itself can tell one from another application's database.
    public static let applicationID: Int32 = 0x454D_5253

    /// Refuses, without writing a byte, a database that belongs
    /// to another application. A new empty file and a file of an emr from before application
    /// ids (it has `consumed_offsets`) are accepted.
    static func checkIdentity(_ db: SQLiteDatabase) throws {
        let id = Int32(truncatingIfNeeded: try db.scalar("PRAGMA application_id")?.int ?? 0)
        if id == applicationID { return }
        let tables = try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").rows().compactMap { $0[0].text }
        let version = try db.scalar("PRAGMA user_version")?.int ?? 0
        if id == 0, tables.isEmpty, version == 0 { return }
        if id == 0, version >= 1, tables.contains("consumed_offsets") { return }
        let what = id != 0 ? String(format: "application_id 0x%08X", UInt32(bitPattern: id))
            : "tables \(tables.prefix(5).joined(separator: ", "))\(tables.count > 5 ? ", ..." : "")"
        throw StateError(.foreign, path: db.path,
                         message: "is an SQLite database of another application (\(what)), not an emr state file; refusing to touch it. Choose another --state path")
    }

    /// Brings the database to the last of `migrations`, one transaction per step; the version
    /// is read again under the write lock, so two processes creating one file cannot both
    /// run a step. Marks the file as emr's (``applicationID``).
    static func migrate(_ db: SQLiteDatabase, from version: Int, migrations: [String]) throws {
        for next in version..<migrations.count {
            try db.transaction {
                guard Int(try db.scalar("PRAGMA user_version")?.int ?? 0) == next else { return }
                try db.execute(migrations[next])
                try db.execute("PRAGMA user_version = \(next + 1)")
                try db.execute("PRAGMA application_id = \(applicationID)")
            }
        }
        if Int32(truncatingIfNeeded: try db.scalar("PRAGMA application_id")?.int ?? 0) != applicationID {
            try db.execute("PRAGMA application_id = \(applicationID)")
        }
    }
}
