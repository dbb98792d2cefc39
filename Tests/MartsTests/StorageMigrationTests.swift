import Foundation
import Marts
import State
import Synthea
import TestSupport
import Testing

/// Migrations 6 (row-id storage of the wide tables), 7 (patient days keyed by date first), 8
/// (numbered encounter chains), 9 (facts stored by key id) and 10 (class days in the
/// readmissions mart) and 11 (natural keys found by their hash) keep every row of a file built
/// before them.
@Suite("State file upgrade")
struct StorageMigrationTests {
    @Test("a version 5 state file becomes row-id storage, its patient days keyed by date first, its encounter chains numbered, with every row kept, and goes on applying")
    func upgradesToRowidStorage() throws {
        let (directory, stream, context) = try Self.shuffledExport()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let half = stream.count / 2

        // Version 5: the tables as migration 2 made them (WITHOUT ROWID), with the rows an emr
        // of that version wrote: those of a current file after the first half (today's
        // maintainer needs today's tables), every column a version 5 table has.
        let path = directory + "/state.sqlite"
        let before: [String: [[SQLiteValue]]]
        let patientDays: [[SQLiteValue]]
        let classDays: [[SQLiteValue]]
        do {
            let written = try MartHarness()
            try written.apply(stream[..<half])
            let old = try StateStore(path: path, migrations: Array(MartSchema.migrations.prefix(5)))
            #expect(try Self.withoutRowid(old.database).count == 6, "\(context): the version 5 file should have 6 WITHOUT ROWID wide tables")
            try Self.copyRows(from: written.path, to: old.database)
            before = try Self.allRows(old.database)
            patientDays = try old.database.prepare(Self.patientDaysSQL).rows()
            classDays = try old.database.prepare(Self.classDaysSQL("report_class_days")).rows()
            old.database.close()
        }

        let upgraded = try StateStore(path: path, migrations: MartSchema.migrations)
        defer { upgraded.database.close() }
        #expect(try upgraded.database.scalar("PRAGMA user_version")?.int == Int64(MartSchema.migrations.count))
        let still = try Self.withoutRowid(upgraded.database)
        #expect(still.isEmpty, "\(context): still WITHOUT ROWID: \(still)")
        #expect(try Self.allRows(upgraded.database) == before, "\(context): the upgrade changed rows")
        let patientDaysAfter = try upgraded.database.prepare(Self.patientDaysSQL).rows()
        #expect(!patientDays.isEmpty && patientDaysAfter == patientDays, "\(context): the upgrade changed the patient days")
        // Migration 10: the class days are the readmissions mart's hidden columns, their table gone.
        let classDaysAfter = try upgraded.database.prepare(Self.classDaysSQL("fact_patient_encounter_readmissions")).rows()
        #expect(!classDays.isEmpty && classDaysAfter == classDays,
                "\(context): the class days moved into the readmissions mart changed")
        #expect(try upgraded.database.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'report_class_days'")?.int == 0)
        let key = try upgraded.database.prepare("SELECT name FROM pragma_table_info('report_patient_days') WHERE pk > 0 ORDER BY pk").rows().compactMap { $0[0].text }
        #expect(key == ["start_date", "encounter_class", "patient_id"], "\(context): patient days keyed by \(key)")
        let indexes = try upgraded.database.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'current_%'").rows().compactMap { $0[0].text }
        #expect(Set(indexes) == ["current_encounters_chain", "current_conditions_patient", "current_conditions_encounter", "current_medications_patient",
                                 "current_encounters_key_hash", "current_conditions_key_hash", "current_medications_key_hash"],
                "\(context): indexes after the upgrade: \(indexes)")
        let chainIndex = try upgraded.database.prepare("SELECT name FROM pragma_index_info('current_encounters_chain') ORDER BY seqno").rows().compactMap { $0[0].text }
        #expect(chainIndex == ["chain_id", "start_at"], "\(context): the chain index after the upgrade: \(chainIndex)")
        let chains = try #require(try MartVerifier(database: upgraded.database).verify().first { $0.mart == EncounterChains.checkName })
        #expect(chains.matches && chains.rows == before["current_encounters"]?.count, "\(context): chains numbered by the upgrade: \(chains)")
        let distinct = try upgraded.database.scalar("SELECT count(*) FROM (SELECT DISTINCT patient_id, organization_id, class_name FROM current_encounters)")
        #expect(try upgraded.database.scalar("SELECT count(*) FROM encounter_chains") == distinct, "\(context): one number per chain")

        try Self.expectAppliesTheRest(stream, from: half, to: upgraded, context: context)
    }

    @Test("a version 8 state file stores its facts by the key ids of their current versions, with no index on their grain, every row kept; a file of facts alone (a merge) keeps them")
    func upgradesToFactsByKeyID() throws {
        let (directory, stream, half, written, context) = try Self.halfApplied()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let facts = [MartCatalog.encounters, MartCatalog.conditions, MartCatalog.medications]
        let factSQL = { (mart: MartDefinition) in "SELECT \(mart.columns.joined(separator: ", ")) FROM \(mart.name) ORDER BY \(mart.grain.joined(separator: ", "))" }

        for factsAlone in [false, true] {
            let path = directory + "/state-\(factsAlone).sqlite"
            let before: [String: [[SQLiteValue]]]
            var factRows: [String: [[SQLiteValue]]] = [:]
            do {
                let old = try StateStore(path: path, migrations: Array(MartSchema.migrations.prefix(8)))
                try Self.copyRows(from: written.path, to: old.database)
                if factsAlone { try old.database.execute("DELETE FROM current_encounters; DELETE FROM current_conditions; DELETE FROM current_medications") }
                before = factsAlone ? [:] : try Self.allRows(old.database)
                for mart in facts { factRows[mart.name] = try old.database.prepare(factSQL(mart)).rows() }
                #expect(factRows.values.allSatisfy { !$0.isEmpty }, "\(context): a fact table is empty: the test proves nothing")
                old.database.close()
            }
            let upgraded = try StateStore(path: path, migrations: MartSchema.migrations)
            defer { upgraded.database.close() }
            let db = upgraded.database
            for mart in facts {
                #expect(try db.prepare(factSQL(mart)).rows() == factRows[mart.name], "\(context): the upgrade changed \(mart.name) (facts alone: \(factsAlone))")
                #expect(try db.prepare("SELECT count(*) FROM pragma_index_list(?1)").bind(.text(mart.name)).rows()[0][0] == .integer(0), "\(context): \(mart.name) indexed")
            }
            if factsAlone { continue }
            #expect(try Self.allRows(db) == before, "\(context): the upgrade changed rows")
            // Every fact is stored under its current version's key id (the batch definition
            // derives the key ids too, so `emr verify` holds them), and keeps applying.
            for comparison in try MartVerifier(database: db).verify() {
                #expect(comparison.matches, "\(context): \(comparison.mart) after the upgrade: \(comparison.examples.joined(separator: "\n"))")
            }
            try Self.expectAppliesTheRest(stream, from: half, to: upgraded, context: context)
        }
    }

    @Test("a version 10 state file finds the current versions with key ids by their key's hash: every row kept, each hash the key's, no unique index on the key text, look-ups through the hash index; it goes on applying")
    func upgradesToKeyHashes() throws {
        let (directory, stream, half, written, context) = try Self.halfApplied()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.sqlite"
        let before: [String: [[SQLiteValue]]]
        let keyIDs = "SELECT key_id, natural_key FROM current_encounters UNION ALL SELECT key_id, natural_key FROM current_conditions UNION ALL SELECT key_id, natural_key FROM current_medications ORDER BY 2"
        let keyIDsBefore: [[SQLiteValue]]
        do {
            let old = try StateStore(path: path, migrations: Array(MartSchema.migrations.prefix(10)))
            try Self.copyRows(from: written.path, to: old.database)
            before = try Self.allRows(old.database)
            keyIDsBefore = try old.database.prepare(keyIDs).rows()
            old.database.close()
        }
        let upgraded = try StateStore(path: path, migrations: MartSchema.migrations)
        defer { upgraded.database.close() }
        let db = upgraded.database
        #expect(try db.scalar("PRAGMA user_version")?.int == Int64(MartSchema.migrations.count))
        #expect(try Self.allRows(db) == before, "\(context): the upgrade changed rows")
        #expect(try db.prepare(keyIDs).rows() == keyIDsBefore, "\(context): the upgrade renumbered key ids")
        for table in ["current_encounters", "current_conditions", "current_medications"] {
            #expect(try db.scalar("SELECT count(*) FROM \(table) WHERE key_hash IS NOT emr_key_hash(natural_key)")?.int == 0, "\(context): \(table) hashes")
            #expect(try db.scalar("SELECT count(*) FROM pragma_index_list('\(table)') WHERE \"unique\"")?.int == 0, "\(context): \(table) keeps a unique index")
            let plan = try db.prepare("EXPLAIN QUERY PLAN SELECT key_id FROM \(table) WHERE key_hash = ?2 AND natural_key = ?1").rows()
                .compactMap { $0.last?.text }.joined(separator: "; ")
            #expect(plan.contains("\(table)_key_hash"), "\(context): a look-up of \(table) by its key: \(plan)")
        }
        try Self.expectAppliesTheRest(stream, from: half, to: upgraded, context: context)
    }

    /// A new directory with a generated export of 30 patients, its records in a shuffled order,
    /// and the seed to print on failure.
    static func shuffledExport() throws -> (directory: String, stream: [Version], context: String) {
        let seed = DifferentialTests.seeds[0]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try ExportGenerator(options: GeneratorOptions(patients: 30, organizations: 4, seed: seed)).write(to: directory + "/export")
        var random = SeededRandom(seed: seed)
        var stream = try loadVersions(directory + "/export")
        stream.shuffle(using: &random)
        return (directory, stream, "seed \(seed) (rerun with EMR_TEST_SEED=\(seed))")
    }

    /// ``shuffledExport()`` with its first half applied to a fresh state: what an upgrade test
    /// copies into a file of an older version.
    static func halfApplied() throws -> (directory: String, stream: [Version], half: Int, written: MartHarness, context: String) {
        let (directory, stream, context) = try shuffledExport()
        do {
            let written = try MartHarness()
            try written.apply(stream[..<(stream.count / 2)])
            return (directory, stream, stream.count / 2, written, context)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Applies the stream from `half` on to the upgraded file, then expects every mart to verify
    /// and to equal a run of the whole stream that never saw an older file.
    static func expectAppliesTheRest(_ stream: [Version], from half: Int, to upgraded: StateStore, context: String) throws {
        try apply(stream[half...], to: upgraded)
        for comparison in try MartVerifier(database: upgraded.database).verify() {
            #expect(comparison.matches, "\(context): \(comparison.mart) after the upgrade and the rest: \(comparison.examples.joined(separator: "\n"))")
        }
        let clean = try MartHarness()
        try clean.apply(stream)
        for mart in MartCatalog.all {
            let sql = "SELECT \(mart.columns.joined(separator: ", ")) FROM \(mart.name) ORDER BY \(mart.grain.joined(separator: ", "))"
            #expect(try upgraded.database.prepare(sql).rows() == clean.rows(mart), "\(context): \(mart.name) differs from a run without the upgrade")
        }
    }

    static func apply(_ versions: ArraySlice<Version>, to store: StateStore) throws {
        let maintainer = try MartMaintainer(database: store.database)
        try store.inBatch { _ in
            try maintainer.batch { for version in versions { try maintainer.apply(try version.staged(), at: version.position) } }
        }
    }

    static func classDaysSQL(_ table: String) -> String {
        "SELECT encounter_class, start_date, encounter_count, total_claim_cost, duration_seconds, duration_count FROM \(table) ORDER BY 1, 2"
    }

    static let patientDaysSQL = "SELECT patient_id, encounter_class, start_date, encounter_count FROM report_patient_days ORDER BY 1, 2, 3"

    /// The wide tables still declared WITHOUT ROWID.
    static func withoutRowid(_ database: SQLiteDatabase) throws -> [String] {
        try database.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table'").rows().compactMap { row in
            guard let name = row[0].text, MartSchema.rowidTables.contains(name), row[1].text?.contains("WITHOUT ROWID") == true else { return nil }
            return name
        }
    }

    /// Copies every row of the tables of `database` from the file at `source` (the columns
    /// `database`'s tables have), replacing what they held; `report_class_days` of a file before
    /// migration 10 from the hidden columns of the readmissions mart.
    static func copyRows(from source: String, to database: SQLiteDatabase) throws {
        try database.execute("ATTACH DATABASE '\(source)' AS source")
        defer { try? database.execute("DETACH DATABASE source") }
        let tables = try database.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").rows().compactMap { $0[0].text }
        try database.transaction {
            for table in tables where table == "report_class_days" {
                try database.execute("""
                    DELETE FROM main.report_class_days;
                    INSERT INTO main.report_class_days (encounter_class, start_date, encounter_count, total_claim_cost, duration_seconds, duration_count)
                    SELECT encounter_class, start_date, encounter_count, total_claim_cost, duration_seconds, duration_count
                    FROM source.fact_patient_encounter_readmissions
                    """)
            }
            for table in tables where table != "report_class_days" {
                let columns = try database.prepare("SELECT name FROM pragma_table_info('\(table)', 'main')").rows().compactMap { $0[0].text }
                    .joined(separator: ", ")
                try database.execute("DELETE FROM main.\(table); INSERT INTO main.\(table) (\(columns)) SELECT \(columns) FROM source.\(table)")
            }
        }
    }

    /// Every row of every wide table, in key order (the columns of version 5: not the chain
    /// number, the key id or the key's hash).
    static func allRows(_ database: SQLiteDatabase) throws -> [String: [[SQLiteValue]]] {
        var rows: [String: [[SQLiteValue]]] = [:]
        for table in MartSchema.rowidTables {
            let columns = try database.prepare("SELECT name FROM pragma_table_info('\(table)') WHERE name NOT IN ('chain_id', 'key_id', 'key_hash')").rows()
                .compactMap { $0[0].text }
            rows[table] = try database.prepare("SELECT \(columns.joined(separator: ", ")) FROM \(table) ORDER BY 1, 2").rows()
        }
        #expect(rows.values.allSatisfy { !$0.isEmpty }, "a wide table is empty: the test proves nothing")
        return rows
    }
}
