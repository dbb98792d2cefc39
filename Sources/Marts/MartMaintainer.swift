import Staging
import State
import Synthea

/// Keeps the current-version tables and every mart up to date, a batch at a time, inside the
/// caller's transaction (spec sections 5 to 7).
///
/// ``apply(_:)`` decides at once whether a record is newer than the stored version of its key
/// (and than any earlier record of the key in the batch): an older or equal one changes nothing.
/// At each ``flush()`` and when the batch ends (``batch(_:)``) the newest version of each key
/// is written and what depends on it noted; when the batch ends the facts and aggregates are
/// brought up to date, set-based, a few statements per mart for the whole batch: everything
/// that depends on a changed record (its own fact, the conditions of an encounter, the next encounters in its
/// previous-encounter chain at its old and new place, every fact of a patient whose birth date
/// changed or who just arrived) is retracted from the stored fact rows and derived again from
/// the current versions, and the aggregates move by the difference (``AggregateDeltas``). The
/// work is proportional to what the batch touches, never to the whole state.
public final class MartMaintainer {
    public let database: SQLiteDatabase
    public let readmissionWindowDays: Int64
    private let versions: CurrentVersionStore
    /// The newest version of each key in the batch in progress; nil outside ``batch(_:)``.
    private var pending: [Entity: [String: CurrentVersion]]?
    /// The pending keys that have a stored version, with its key id (the others are new:
    /// nothing of theirs to read or retract).
    private var stored: [Entity: [String: Int64]] = [:]
    /// Versions were written in this batch and the facts that depend on them are not rebuilt yet.
    private var factsPending = false
    /// The keys that may have a stored version, by ``Entity/ordinal``.
    private let mayBeStored: [StoredKeyFilter]

    /// The outcome of one record.
    public enum Outcome: Sendable, Equatable {
        /// It became the current version of its key.
        case applied
        /// An equal or newer version is already current (redelivery, replay, older version).
        case stale
    }

    /// Fixes the readmission window on first use; a state file built with another window is refused.
    public init(database: SQLiteDatabase, readmissionWindowDays: Int64 = 7) throws {
        self.database = database
        self.readmissionWindowDays = readmissionWindowDays
        self.versions = CurrentVersionStore(database: database)
        let stored = try Self.storedWindow(database)
        if let stored, stored != readmissionWindowDays {
            throw MartError.readmissionWindowChanged(path: database.path, stored: stored, requested: readmissionWindowDays)
        }
        if stored == nil {
            try database.transaction {
                try database.prepare(SQLText("INSERT OR IGNORE INTO mart_settings (name, value) VALUES ('readmission_window_days', ?1)"))
                    .bind(.text(String(readmissionWindowDays))).run()
            }
        }
        // The batch's work tables, on this connection only, in a temporary file behind 8 MiB of
        // cache: they stay in memory, while what outgrows it (the sorts and statement journals of
        // rebuilding a whole batch's facts at once) goes to the file instead of the heap.
        // `emr bench consume --patients 6000 --partitions 48`: peak RSS 161-167 MB all in memory,
        // 132-135 MB this way (the records/s within the run-to-run noise).
        try database.execute("PRAGMA temp_store = FILE")
        try database.execute("PRAGMA temp.cache_size = -8192")
        try database.execute(SQL.Work.create)
        mayBeStored = try Entity.allCases.map { try StoredKeyFilter.of(MartSchema.currentTable($0), in: database) }
    }

    static func storedWindow(_ database: SQLiteDatabase) throws -> Int64? {
        try database.prepare("SELECT value FROM mart_settings WHERE name = 'readmission_window_days'").rows().first?.first?.text.flatMap { Int64($0) }
    }

    /// Runs `body` (which applies records) as one batch: the versions it accepted are written,
    /// with every mart, when it returns (the versions at each ``flush()`` too), inside the
    /// caller's transaction; forgotten if it throws.
    public func batch<T>(_ body: () throws -> T) throws -> T {
        precondition(pending == nil, "MartMaintainer.batch is not reentrant")
        pending = [:]
        stored = [:]
        factsPending = false
        defer { pending = nil }
        // What a batch that threw noted is gone with its transaction, unless the caller kept it.
        try run(SQL.Work.clear)
        let result = try body()
        try flush()
        try rebuildFacts()
        return result
    }

    /// Versions accepted in this batch and not yet written.
    public private(set) var pendingCount = 0

    /// Writes the versions accepted so far and notes the facts that depend on them (a caller may
    /// do so while it waits for more records, to keep the batch's memory small); the facts and
    /// aggregates are rebuilt once, when the batch ends, so that each index page they touch is
    /// read once per batch rather than once per flush. Call it inside ``batch(_:)``.
    public func flush() throws {
        guard let versions = pending else { throw MartError.outsideBatch }
        let existing = stored
        pending = [:]
        stored = [:]
        pendingCount = 0
        try write(versions, existing: existing)
        BackgroundRelease.release(versions)
    }

    /// Accepts `record` if it is newer than the stored version of its key; written when the
    /// batch ends. Call it inside ``batch(_:)``.
    @discardableResult
    public func apply(_ record: StagedRecord, at position: SourcePosition) throws -> Outcome {
        try apply(CurrentVersion(record, at: position))
    }

    /// Accepts a prepared version if it is newer than the stored one and than any earlier
    /// version of its key in this batch; written when the batch ends. Call it inside ``batch(_:)``.
    @discardableResult
    public func apply(_ version: CurrentVersion) throws -> Outcome {
        guard pending != nil else { throw MartError.outsideBatch }
        let (entity, key) = (version.entity, version.naturalKey)
        if let newest = pending![entity]?[key]?.position {
            if version.position <= newest { return .stale }
        } else if mayBeStored[entity.ordinal].mayContain(key), let current = try versions.stored(version) {
            if version.position <= current.position { return .stale }
            stored[entity, default: [:]][key] = current.keyID
        }
        if pending![entity, default: [:]].updateValue(version, forKey: key) == nil {
            pendingCount += 1
            mayBeStored[entity.ordinal].insert(key)
        }
        return .applied
    }

    // MARK: The batch, set-based

    /// Writes versions of the batch, replaces the dimensions that copy them, and notes which
    /// facts to rebuild (``rebuildFacts()``).
    private func write(_ versions: [Entity: [String: CurrentVersion]], existing: [Entity: [String: Int64]]) throws {
        guard !versions.isEmpty else { return }
        try run(SQL.Work.clearWritten)
        // Natural keys of the entities without key ids; key ids of the stored versions replaced.
        for (entity, byKey) in versions {
            guard let sql = SQL.changedKey[entity.ordinal] else { continue }
            let statement = try database.prepare(sql)
            for key in byKey.keys { try statement.bind(.text(key)).run() }
        }
        for (entity, keyIDs) in existing {
            guard let sql = SQL.existingKeyIDs[entity.ordinal] else { continue }
            try database.prepare(sql).bind(SQL.jsonArray(keyIDs.values)).run()
        }
        // Before the versions are replaced: the old places in the encounter chains, the
        // patients as they were, the dimension references of changed conditions and medications.
        try run([SQL.oldChainSuccessors, SQL.previousPatients, SQL.releaseConditionReferences, SQL.uncountConditions,
                 SQL.releaseMedicationReferences, SQL.uncountMedications])
        for (entity, byKey) in versions {
            guard let changedKeyIDs = SQL.changedKeyIDs[entity.ordinal] else {
                for version in byKey.values { try self.versions.write(version, storedKeyID: nil) }
                continue
            }
            // Each written version's key id, known without looking its key up again.
            let stored = existing[entity] ?? [:]
            var written: [Int64] = []
            written.reserveCapacity(byKey.count)
            for (key, version) in byKey { written.append(try self.versions.write(version, storedKeyID: stored[key])) }
            try database.prepare(changedKeyIDs).bind(SQL.jsonArray(written)).run()
        }
        try run(SQL.replaceDimensions)
        // The facts to rebuild; the encounters after a changed one at its new place too.
        try run([SQL.refreshedPatients] + SQL.collectChanged + [SQL.newChainSuccessors])
        factsPending = true
    }

    /// Brings the facts noted in this batch and every aggregate up to date with the versions written.
    private func rebuildFacts() throws {
        guard factsPending else { return }
        factsPending = false
        try run(SQL.collectDependents + SQL.addSuccessors)
        // Retract the stored facts, derive them again (encounters first: condition facts join them).
        let (encounters, conditions, medications) = (SQL.encounterFacts, SQL.conditionFacts, SQL.medicationFacts)
        try database.prepare(encounters.retracted!).bind(.integer(readmissionWindowDays)).run()
        try run([medications.retracted!, encounters.delete, conditions.delete, medications.delete, encounters.insert])
        try database.prepare(encounters.applied!).bind(.integer(readmissionWindowDays)).run()
        try run([conditions.insert, medications.insert, medications.applied!,
                 SQL.countConditionReferences, SQL.countConditions, SQL.countMedicationReferences, SQL.countMedications])
        for table in AggregateDeltas.tables {
            try run([table.upsert])
            for group in try database.prepare(table.retractedGroups).rows() {
                try database.prepare(table.deleteEmpty).bind(group).run()
            }
        }
        try run(SQL.Work.clear)
    }

    private func run(_ statements: [SQLText]) throws {
        for sql in statements { try database.prepare(sql).run() }
    }
}
