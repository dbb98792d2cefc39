import Chronology
import Foundation

/// A record that failed decoding or staging, kept with its reasons and where it came from.
public struct QuarantinedRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// Which stage refused it.
    public var stage: RefusalStage
    public var reasons: [String]
    public var key: [UInt8]?
    public var value: [UInt8]?
    /// Original headers as `name=value` lines (values lossily decoded as UTF-8).
    public var headers: [String]

    public init(topic: String, partition: Int32, offset: Int64, stage: RefusalStage, reasons: [String],
                key: [UInt8]?, value: [UInt8]?, headers: [String]) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.stage = stage
        self.reasons = reasons
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// Offsets an operator agreed to skip: the state file's next offset was `fromOffset`, the
/// log started at `toOffset` (retention had deleted the rest) and ended at `logEnd`.
public struct AcceptedGap: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var fromOffset: Int64
    public var toOffset: Int64
    public var logEnd: Int64

    public init(topic: String, partition: Int32, fromOffset: Int64, toOffset: Int64, logEnd: Int64) {
        self.topic = topic
        self.partition = partition
        self.fromOffset = fromOffset
        self.toOffset = toOffset
        self.logEnd = logEnd
    }
}

/// The consumer's state file: offsets, quarantine and counters written together in one
/// transaction per batch, so a crash keeps or loses a whole batch, never half of one.
public final class StateStore {
    public let database: SQLiteDatabase

    /// Opens or creates the file and brings its schema up to date (refusing newer versions and
    /// files that are not databases, without writing to them).
    /// `migrations` extends the base schema (``StateSchema/baseMigrations``) with the tables
    /// of the layers above (current versions, marts).
    public init(path: String, migrations: [String] = StateSchema.baseMigrations) throws {
        database = try SQLiteDatabase(path: path)
        try StateSchema.checkIdentity(database)
        let version = try StateSchema.checkVersion(database, known: migrations.count)
        try database.enableWriteAheadLog()
        try StateSchema.migrate(database, from: version, migrations: migrations)
    }

    /// Refuses, without creating or writing anything, a path whose existing file is not an emr
    /// state file (another application's database, or not a database at all).
    public static func checkOwnable(_ path: String) throws {
        try readingFile(at: path) { try StateSchema.checkIdentity($0) }
    }

    /// The schema version (`PRAGMA user_version`) of the file at `path`, read without writing
    /// anything; nil when there is no file yet.
    public static func schemaVersion(at path: String) throws -> Int? {
        try readingFile(at: path) { Int(try $0.scalar("PRAGMA user_version")?.int ?? 0) }
    }

    /// `body` on a read-only connection to the file at `path`, closed after; nil when there is
    /// no file or an empty one (nothing is created).
    private static func readingFile<T>(at path: String, _ body: (SQLiteDatabase) throws -> T) throws -> T? {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > 0 else { return nil }
        let database = try SQLiteDatabase(path: path, readOnly: true)
        defer { database.close() }
        return try body(database)
    }

    /// Opens an existing state file for reading only (exports, verification); never writes.
    public init(readingExisting path: String, migrations: [String] = StateSchema.baseMigrations) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StateError(.open, path: path, message: "no such state database")
        }
        database = try SQLiteDatabase(path: path, readOnly: true)
        try StateSchema.checkIdentity(database)
        let version = try StateSchema.checkVersion(database, known: migrations.count)
        if version < migrations.count {
            throw StateError(.open, path: path, message: "state database has schema version \(version), older than this emr (\(migrations.count)); run `emr consume` on it once to upgrade")
        }
    }

    /// Runs one batch's writes atomically. Before COMMIT it checks that the path still names
    /// the open file (``SQLiteDatabase/checkNotMoved()``): a deleted state file rolls back.
    public func inBatch<T>(_ body: (StateStore) throws -> T) throws -> T {
        let result = try database.transaction {
            let result = try body(self)
            try database.checkNotMoved()
            return result
        }
        checkpointer?.nudge()
        return result
    }

    private var checkpointer: BackgroundCheckpointer?

    /// Moves checkpoints to a thread of their own (``BackgroundCheckpointer``): batches commit
    /// without copying pages into the database file; the writer checkpoints itself only when
    /// the log passes `safetyNetPages` (the thread fell behind). Stopped by ``close()``.
    public func checkpointInBackground(safetyNetPages: Int = 16_384) throws {
        guard checkpointer == nil else { return }
        try database.execute("PRAGMA wal_autocheckpoint=\(safetyNetPages)")
        checkpointer = try BackgroundCheckpointer(path: database.path)
    }

    /// Stops background checkpoints (if any) and closes the connection.
    public func close() {
        checkpointer?.stop()
        checkpointer = nil
        database.close()
    }

    /// A named fact about the state file (``StateSchema/propertiesMigration``), nil when unset.
    public func property(_ name: String) throws -> String? {
        try database.prepare("SELECT value FROM state_properties WHERE name = ?1").bind(.text(name)).rows().first?.first?.text
    }

    public func setProperty(_ name: String, _ value: String) throws {
        try database.prepare("""
            INSERT INTO state_properties (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """).bind(.text(name), .text(value)).run()
    }

    /// Next offset to read per (topic, partition).
    public func storedOffsets() throws -> [String: [Int32: Int64]] {
        try ConsumedOffsets.read(database)
    }

    public func saveOffset(topic: String, partition: Int32, nextOffset: Int64) throws {
        try database.prepare("""
            INSERT INTO consumed_offsets (topic, partition, next_offset, updated_at) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at
            """).bind(.text(topic), .integer(Int64(partition)), .integer(nextOffset), .text(Self.now())).run()
    }

    /// Keeps a refused record; a redelivered one (same topic, partition, offset) is kept once.
    public func quarantine(_ record: QuarantinedRecord) throws {
        try database.prepare("""
            INSERT OR IGNORE INTO quarantine (topic, partition, offset, stage, reasons, message_key, message_value, headers, quarantined_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """).bind(.text(record.topic), .integer(Int64(record.partition)), .integer(record.offset), .text(record.stage.rawValue),
                      .text(record.reasons.joined(separator: "\n")), record.key.map(SQLiteValue.blob) ?? .null,
                      record.value.map(SQLiteValue.blob) ?? .null, .text(record.headers.joined(separator: "\n")), .text(Self.now())).run()
    }

    public func quarantined() throws -> [QuarantinedRecord] {
        try database.prepare("""
            SELECT topic, partition, offset, stage, reasons, message_key, message_value, headers FROM quarantine ORDER BY id
            """).rows().map { row in
            func bytes(_ v: SQLiteValue) -> [UInt8]? { if case .blob(let b) = v { b } else { nil } }
            guard let stage = row[3].text.flatMap(RefusalStage.init(rawValue:)) else {
                throw StateError(.corrupt, path: database.path, message: "quarantine row with an unknown stage '\(row[3].text ?? "")'")
            }
            return QuarantinedRecord(topic: row[0].text!, partition: Int32(row[1].int!), offset: row[2].int!, stage: stage,
                                     reasons: row[4].text!.split(separator: "\n").map(String.init), key: bytes(row[5]),
                                     value: bytes(row[6]), headers: row[7].text!.split(separator: "\n").map(String.init))
        }
    }

    /// Records that offsets `from..<to` of a partition were skipped because the log no longer
    /// has them (needs ``StateSchema/acceptedGapsMigration``).
    public func recordGap(_ gap: AcceptedGap) throws {
        try database.prepare("""
            INSERT INTO accepted_gaps (topic, partition, from_offset, to_offset, log_end, accepted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """).bind(.text(gap.topic), .integer(Int64(gap.partition)), .integer(gap.fromOffset), .integer(gap.toOffset),
                      .integer(gap.logEnd), .text(Self.now())).run()
    }

    public func acceptedGaps() throws -> [AcceptedGap] {
        try database.prepare("SELECT topic, partition, from_offset, to_offset, log_end FROM accepted_gaps ORDER BY id").rows().map {
            AcceptedGap(topic: $0[0].text!, partition: Int32($0[1].int!), fromOffset: $0[2].int!, toOffset: $0[3].int!, logEnd: $0[4].int!)
        }
    }

    public func add(_ amount: Int64, to counter: StateCounter) throws {
        try database.prepare("""
            INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value
            """).bind(.text(counter.rawValue), .integer(amount)).run()
    }

    public func counter(_ counter: StateCounter) throws -> Int64 {
        try database.prepare("SELECT value FROM counters WHERE name = ?1").bind(.text(counter.rawValue)).rows().first?.first?.int ?? 0
    }

    static func now() -> String {
        let seconds = Int64(Date().timeIntervalSince1970)
        return CivilTime.formatTimestamp(seconds: seconds)
    }
}
