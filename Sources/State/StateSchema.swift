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

    /// Brings the database to the last of `migrations`.
    static func migrate(_ db: SQLiteDatabase, from version: Int, migrations: [String]) throws {
        for next in version..<migrations.count {
            try db.transaction {
                try db.execute(migrations[next])
                try db.execute("PRAGMA user_version = \(next + 1)")
            }
        }
    }
}
