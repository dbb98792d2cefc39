import Foundation
@testable import Marts
import State
import Testing

/// Each mart is declared once (``MartCatalog``); the state file's tables, made by migrations
/// whose SQL is fixed once released, must be exactly what the declarations say, and every SQL
/// derived from a declaration must produce its columns.
@Suite("Mart declarations")
struct MartDeclarationTests {
    /// A fresh state file built by every migration, and a scratch database of the declared DDL.
    static func databases() throws -> (migrated: StateStore, declared: SQLiteDatabase, cleanup: () -> Void) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("declarations-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let migrated = try StateStore(path: directory + "/state.sqlite", migrations: MartSchema.migrations)
        let declared = try SQLiteDatabase(path: directory + "/declared.sqlite")
        for mart in MartCatalog.all { try declared.execute(mart.createSQL()) }
        return (migrated, declared, {
            migrated.close()
            declared.close()
            try? FileManager.default.removeItem(atPath: directory)
        })
    }

    /// Columns as SQLite reports them: name, declared type, NOT NULL, position in the primary key.
    static func shape(of table: String, in db: SQLiteDatabase) throws -> [String] {
        try db.prepare("SELECT name, upper(type), \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid").bind(.text(table)).rows()
            .map { row in row.map { value in value.text ?? value.int.map(String.init) ?? "NULL" }.joined(separator: " ") }
    }

    /// Whether the table has row ids (a WITHOUT ROWID table cannot select them).
    static func hasRowids(_ table: String, in db: SQLiteDatabase) -> Bool {
        (try? db.prepare("SELECT rowid FROM \(table) LIMIT 0")) != nil
    }

    @Test("the age groups of the facts' CASE are the age_groups table's: same bounds, same group for every age on a fine grid, NULL and the edges")
    func ageGroupCaseIsTheTable() throws {
        let (migrated, _, cleanup) = try Self.databases()
        defer { cleanup() }
        let db = migrated.database
        let table = try db.prepare("SELECT age_group_id, min_age, max_age FROM age_groups WHERE age_group_id < 9 ORDER BY 1").rows()
        #expect(table.map { [$0[0].int ?? 0] } == MartQueries.ageGroupBounds.map { [Int64($0.id)] })
        for (row, bounds) in zip(table, MartQueries.ageGroupBounds) {
            #expect(row[1] == .real(Double(bounds.min)!) && row[2] == .real(Double(bounds.max)!), "group \(bounds.id): table \(row), CASE \(bounds)")
        }
        var ages: [Double?] = [nil, -5, -0.001, -0.0005, 120, 120.0001, 200]
        ages += stride(from: -1.0, through: 125.0, by: 1.0 / 24).map { $0 }
        for bounds in MartQueries.ageGroupBounds { ages += [Double(bounds.min)!, Double(bounds.max)!].flatMap { [$0, $0.nextUp, $0.nextDown] } }
        let lookUp = try db.prepare("""
            SELECT \(MartQueries.ageGroup(of: "?1")), coalesce((SELECT a.age_group_id FROM age_groups a
                WHERE a.age_group_id < 9 AND ?1 > a.min_age AND ?1 <= a.max_age), 9)
            """)
        for age in ages {
            let row = try lookUp.bind(age.map { .real($0) } ?? .null).rows()[0]
            #expect(row[0].int == row[1].int, "age \(age.map { "\($0)" } ?? "NULL"): CASE \(row[0]) vs table \(row[1])")
        }
    }

    @Test("the migrated state file has every mart exactly as declared: columns in order, types, NOT NULL, primary key, storage")
    func migratedSchemaIsTheDeclaration() throws {
        let (migrated, declared, cleanup) = try Self.databases()
        defer { cleanup() }
        for mart in MartCatalog.all {
            let actual = try Self.shape(of: mart.name, in: migrated.database)
            #expect(!actual.isEmpty, "\(mart.name) is not in the state file")
            let expected = try Self.shape(of: mart.name, in: declared)
            #expect(actual == expected, "\(mart.name): migrated vs declared")
            #expect(actual.map { String($0.split(separator: " ")[0]) } == mart.tableColumns, "\(mart.name): column order")
            #expect(Self.hasRowids(mart.name, in: migrated.database) == (mart.storage == .byKeyID), "\(mart.name): storage")
            #expect(Self.hasRowids(mart.name, in: declared) == (mart.storage == .byKeyID), "\(mart.name): declared storage")
            if mart.storage == .byKeyID {
                let indexed = try migrated.database.prepare("SELECT count(*) FROM pragma_index_list(?1)").bind(.text(mart.name)).rows()[0][0]
                #expect(indexed == .integer(0), "\(mart.name): stored by key id, with no index on its grain")
            }
        }
    }

    @Test("every derived statement yields the declared columns, for a batch's keys and in batch; merges name only declared columns")
    func derivedSQLMatchesTheColumns() throws {
        let (migrated, _, cleanup) = try Self.databases()
        defer { cleanup() }
        let db = migrated.database
        for mart in MartCatalog.all {
            let batch = try db.prepare(mart.batchSQL(.live))
            #expect(batch.columnCount == mart.tableColumns.count, "\(mart.name): batch SQL has \(batch.columnCount) columns")
            // The statement that inserts it must be accepted by the table as it is.
            _ = try db.prepare("INSERT INTO \(mart.name) \(mart.batchSQL(.live))")
            switch mart.derivation {
            case .rows:
                try db.execute("CREATE TEMP TABLE IF NOT EXISTS some_keys (natural_key TEXT PRIMARY KEY)")
                let some = try #require(mart.rowsSQL(keysIn: "temp.some_keys"))
                #expect(try db.prepare(some).columnCount == mart.tableColumns.count, "\(mart.name): SQL for a batch's keys")
                if mart.storage == .byKeyID {
                    try db.execute("CREATE TEMP TABLE IF NOT EXISTS some_key_ids (key_id INTEGER PRIMARY KEY)")
                    let byID = try #require(mart.rowsSQL(keyIDsIn: "temp.some_key_ids"))
                    #expect(try db.prepare(byID).columnCount == mart.tableColumns.count, "\(mart.name): SQL for a batch's key ids")
                } else {
                    #expect(mart.rowsSQL(keyIDsIn: "temp.some_key_ids") == nil, "\(mart.name) has no key ids")
                }
                #expect(mart.combination == nil, "\(mart.name): row-level marts merge as a union")
            case .groups:
                #expect(mart.rowsSQL(keysIn: "temp.some_keys") == nil)
                let combination = try #require(mart.combination, "\(mart.name): an aggregate needs a combination")
                #expect(Set(combination.keys) == Set(mart.columns + mart.internalColumns).subtracting(mart.grain), "\(mart.name): \(combination)")
                #expect(mart.kind == .aggregate || mart.internalColumns == ["reference_count"], "\(mart.name): a counted dimension")
            }
        }
    }

    @Test("names are unique, the grain leads the columns and grain columns are NOT NULL")
    func declarationsAreWellFormed() {
        #expect(Set(MartCatalog.all.map(\.name)).count == MartCatalog.all.count)
        for mart in MartCatalog.all {
            #expect(Array(mart.columns.prefix(mart.grain.count)) == mart.grain, "\(mart.name)")
            #expect(mart.declaredColumns.filter { mart.grain.contains($0.name) }.allSatisfy { $0.notNull }, "\(mart.name)")
            #expect(Set(mart.columns + mart.internalColumns).count == mart.declaredColumns.count, "\(mart.name): a column twice")
            #expect(MartCatalog.named(mart.name) == mart)
        }
    }
}
