import Chronology
import Staging
import State
import Synthea

/// Keeps the current-version tables and every mart up to date, one staged record at a time,
/// inside the caller's transaction (spec sections 5 to 7), in batches (``batch(_:)``).
///
/// A record older than (or equal to) the stored version of its key changes nothing. A newer
/// one first retracts the stored contributions of everything that depends on it (its own fact
/// row, the next encounters in its previous-encounter chain, the conditions of an encounter,
/// every fact of a patient whose birth date changed or who just arrived), replaces the current
/// version, and applies them again from the current tables. Aggregates move by counted deltas
/// (counts, exact-decimal sums, reference counts), collected over the batch and written once
/// per touched group when it ends (``AggregateChanges``), so the work per record is
/// proportional to what depends on it, never to the whole state.
public final class MartMaintainer {
    public let database: SQLiteDatabase
    public let readmissionWindowDays: Int64
    private let versions: CurrentVersionStore
    /// Aggregate changes of the batch in progress; nil outside ``batch(_:)``.
    private var changes: AggregateChanges?

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
    }

    static func storedWindow(_ database: SQLiteDatabase) throws -> Int64? {
        try database.prepare("SELECT value FROM mart_settings WHERE name = 'readmission_window_days'").rows().first?.first?.text.flatMap { Int64($0) }
    }

    /// Runs `body` (which applies records) as one batch: the aggregate changes of its records
    /// are written when it returns, inside the caller's transaction, and forgotten if it throws.
    public func batch<T>(_ body: () throws -> T) throws -> T {
        precondition(changes == nil, "MartMaintainer.batch is not reentrant")
        changes = AggregateChanges()
        defer { changes = nil }
        let result = try body()
        try changes!.write(to: database)
        return result
    }

    /// Makes `record` current if it is newer than the stored version, updating every mart.
    /// Call it inside ``batch(_:)``.
    @discardableResult
    public func apply(_ record: StagedRecord, at position: SourcePosition) throws -> Outcome {
        guard changes != nil else { throw MartError.outsideBatch }
        let key = record.naturalKey
        let current = try versions.position(of: record.entity, key: key)
        if let current, position <= current { return .stale }
        // A key seen for the first time has no fact yet, and nothing that depends on it has
        // one either (facts need their patient, condition facts their encounter's fact), so
        // there is nothing to retract: the lookups and deletes are skipped.
        let isNew = current == nil
        switch record.entity {
        case .organizations:
            try versions.write(record, at: position)
            try database.prepare(SQL.replaceOrganization).bind(.text(key)).run()
        case .providers:
            try versions.write(record, at: position)
            try database.prepare(SQL.replaceProvider).bind(.text(key)).run()
        case .patients:
            let oldBirth = try database.prepare(SQL.birthDate).bind(.text(key)).rows().first?.first
            let newBirth = CurrentVersionStore.sqlValue(record.fields[StagedField.birthDate])
            let affected = oldBirth == newBirth ? Dependents() : try dependents(ofPatient: key)
            if !isNew { try retract(affected) }
            try versions.write(record, at: position)
            try database.prepare(SQL.replacePatient).bind(.text(key)).run()
            try applyFacts(affected)
        case .encounters:
            // Its own fact and its conditions' facts are rebuilt; the next encounters in its
            // chain (before and after the change) only get their days between again.
            let affected = Dependents(encounters: [key], conditions: try keys(SQL.conditionsOfEncounter, key))
            var successors = isNew ? [] : try chainPosition(ofEncounter: key).map(nextInChain) ?? []
            if !isNew { try retract(affected) }
            try versions.write(record, at: position)
            if let new = try chainPosition(ofEncounter: key) { successors.formUnion(try nextInChain(new)) }
            successors.remove(key)
            try applyFacts(affected)
            for successor in successors { try refreshDaysBetween(ofEncounter: successor) }
        case .conditions:
            let affected = Dependents(conditions: [key])
            if !isNew { try retract(affected) }
            try versions.write(record, at: position)
            try applyFacts(affected)
        case .medications:
            let affected = Dependents(medications: [key])
            if !isNew { try retract(affected) }
            try versions.write(record, at: position)
            try applyFacts(affected)
        }
        return .applied
    }

    /// Natural keys of the facts whose mart rows depend on a changed record.
    struct Dependents {
        var encounters: Set<String> = []
        var conditions: Set<String> = []
        var medications: Set<String> = []
    }

    private func keys(_ sql: SQLText, _ key: String) throws -> Set<String> {
        Set(try database.prepare(sql).bind(.text(key)).rows().compactMap { $0[0].text })
    }

    /// Every fact of a patient, and the conditions of its encounters.
    private func dependents(ofPatient patient: String) throws -> Dependents {
        Dependents(
            encounters: try keys(SQL.encountersOfPatient, patient),
            conditions: try keys(SQL.conditionsOfPatient, patient),
            medications: try keys(SQL.medicationsOfPatient, patient))
    }

    /// (patient, organization, class, start) of a current encounter.
    private func chainPosition(ofEncounter key: String) throws -> [SQLiteValue]? {
        try database.prepare(SQL.chainPosition).bind(.text(key)).rows().first
    }

    /// The encounters whose previous encounter may be one at `position` (a row of
    /// ``chainPosition(ofEncounter:)``): those of the same patient, organization and class at
    /// the first start after it.
    private func nextInChain(_ position: [SQLiteValue]) throws -> Set<String> {
        let statement = try database.prepare(SQL.nextInChain)
            .bind(named: [":patient": position[0], ":organization": position[1], ":class": position[2], ":start": position[3]])
        return Set(try statement.rows().compactMap { $0[0].text })
    }

    // MARK: Contributions to the aggregates (signed: +1 applied, -1 retracted)

    /// From a row of an encounter fact's contribution (``SQL``): the readmission flag as in
    /// ``MartQueries/readmissionFlag(windowDays:)``, the duration as in ``ReportSummaries/durationSeconds``.
    private func encounterContribution(_ row: [SQLiteValue], sign: Int64) {
        let (encounterClass, startDate) = (row[0], row[1])
        let readmission = readmissionFlag(row[2])
        let cost = row[3].text.flatMap(DecimalText.parse) ?? 0
        var (seconds, hasStop): (Int64, Int64) = (0, 0)
        if let stop = row[7].text {
            hasStop = 1
            seconds = (CivilTime.parseInstant(stop) ?? 0) - (row[6].text.flatMap(CivilTime.parseInstant) ?? 0)
        }
        changes!.add(AggregateTables.readmissions, group: [encounterClass, startDate], integers: [readmission, 1], sign: sign)
        let month = startDate.text.map { SQLiteValue.text(String($0.utf8.prefix(7))! + "-01") } ?? .null
        changes!.add(AggregateTables.byMonth, group: [encounterClass, month], integers: [1], decimals: [cost], sign: sign)
        changes!.add(ReportSummaries.classDays, group: [encounterClass, startDate], integers: [1, seconds, hasStop], decimals: [cost], sign: sign)
        changes!.add(ReportSummaries.ageDays, group: [row[4], encounterClass, startDate], integers: [1], sign: sign)
        changes!.add(ReportSummaries.patientDays, group: [row[5], encounterClass, startDate], integers: [1], sign: sign)
    }

    /// From a row of a medication fact's contribution (``SQL``).
    private func medicationContribution(_ row: [SQLiteValue], sign: Int64) {
        changes!.add(AggregateTables.topMedications, group: [row[0], row[1].orEmptyText, row[2], row[3]], integers: [row[4].int ?? 0, 1], sign: sign)
    }

    // MARK: Retraction (from the stored mart rows, before anything they depend on changes)

    private func retract(_ dependents: Dependents) throws {
        for key in dependents.encounters { try retractEncounter(key) }
        for key in dependents.conditions { try retractCondition(key) }
        for key in dependents.medications { try retractMedication(key) }
    }

    private func retractEncounter(_ key: String) throws {
        guard let row = try database.prepare(SQL.deleteEncounterFact).bind(.text(key)).rows().first else { return }
        encounterContribution(row, sign: -1)
    }

    private func retractCondition(_ key: String) throws {
        guard let row = try database.prepare(SQL.currentCondition).bind(.text(key)).rows().first else { return }
        try database.prepare(SQL.deleteConditionFact).bind(row[0], row[1]).run()
        if row[4].int == 1 {
            changes!.add(AggregateTables.conditions, group: [row[1], row[2], row[3]], integers: [1], sign: -1)
            try database.prepare(SQL.uncountCondition).bind(.text(key)).run()
        }
    }

    private func retractMedication(_ key: String) throws {
        guard let row = try database.prepare(SQL.currentMedication).bind(.text(key)).rows().first else { return }
        if let fact = try database.prepare(SQL.deleteMedicationFact).bind(row[0]).rows().first {
            medicationContribution(fact, sign: -1)
        }
        if row[3].int == 1 {
            changes!.add(AggregateTables.medications, group: [row[1], row[2]], integers: [1], sign: -1)
            try database.prepare(SQL.uncountMedication).bind(.text(key)).run()
        }
    }

    // MARK: Application (from the current tables; encounters before the conditions that join them)

    private func applyFacts(_ dependents: Dependents) throws {
        for key in dependents.encounters { try applyEncounter(key) }
        for key in dependents.conditions { try applyCondition(key) }
        for key in dependents.medications { try applyMedication(key) }
    }

    private func applyEncounter(_ key: String) throws {
        // No row while its patient is missing.
        guard let row = try database.prepare(SQL.insertEncounterFact).bind(.text(key)).rows().first else { return }
        encounterContribution(row, sign: 1)
    }

    /// Only the days between (and so the readmission flag) of an encounter fact depend on its
    /// previous encounter.
    private func refreshDaysBetween(ofEncounter key: String) throws {
        guard let before = try database.prepare(SQL.encounterDaysBetween).bind(.text(key)).rows().first,
              let after = try database.prepare(SQL.refreshDaysBetween).bind(.text(key)).rows().first else { return }
        let change = readmissionFlag(after[0]) - readmissionFlag(before[2])
        if change != 0 { changes!.add(AggregateTables.readmissions, group: [before[0], before[1]], integers: [change, 0], sign: 1) }
    }

    /// 1 when `daysBetween` is at most the window, as ``MartQueries/readmissionFlag(windowDays:)``.
    private func readmissionFlag(_ daysBetween: SQLiteValue) -> Int64 {
        daysBetween.number.map { $0 <= Double(readmissionWindowDays) ? 1 : 0 } ?? 0
    }

    private func applyCondition(_ key: String) throws {
        try database.prepare(SQL.insertConditionFact).bind(.text(key)).run()
        guard let row = try database.prepare(SQL.countCondition).bind(.text(key)).rows().first else { return }
        changes!.add(AggregateTables.conditions, group: [row[0], row[1].orEmptyText, row[2]], integers: [1], sign: 1)
    }

    private func applyMedication(_ key: String) throws {
        // No row while its patient is missing.
        guard let fact = try database.prepare(SQL.insertMedicationFact).bind(.text(key)).rows().first else { return }
        medicationContribution(fact, sign: 1)
        if let row = try database.prepare(SQL.countMedication).bind(.text(key)).rows().first {
            changes!.add(AggregateTables.medications, group: [row[0], row[1].orEmptyText], integers: [1], sign: 1)
        }
    }
}

private extension SQLiteValue {
    /// A number as SQLite compares it (an integer or a real), nil otherwise.
    var number: Double? {
        switch self {
        case .integer(let v): Double(v)
        case .real(let v): v
        default: nil
        }
    }

    /// NULL as the empty text, as `coalesce(x, '')` does.
    var orEmptyText: SQLiteValue { self == .null ? .text("") : self }
}
