import Foundation
import Marts
import Staging
import State
import Synthea
import TestSupport
import Testing

/// A raw Synthea row with the version it is published as.
struct Version {
    var entity: Entity
    var row: [String: String]
    var position: SourcePosition

    var key: String { EntitySchema.of(entity).naturalKey(of: row) }

    func staged() throws -> StagedRecord {
        switch Stager.stage(entity, value: row, key: key) {
        case .accepted(let record): return record
        case .rejected(let reasons): throw TestFailure("\(entity) \(key) rejected: \(reasons)")
        }
    }
}

/// A state file with marts, fed staged records directly in transactions (no Kafka): the
/// marts layer alone, for differential and hand-checked tests.
final class MartHarness {
    let path: String
    let store: StateStore
    let maintainer: MartMaintainer

    init(readmissionWindowDays: Int64 = 7) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("marts-\(UUID().uuidString).sqlite").path
        store = try StateStore(path: path, migrations: MartSchema.migrations)
        maintainer = try MartMaintainer(database: store.database, readmissionWindowDays: readmissionWindowDays)
    }

    deinit {
        store.database.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Applies the versions in one transaction (written every `flushEvery` versions too, when
    /// given); returns how many became current.
    @discardableResult
    func apply(_ versions: some Collection<Version>, flushEvery: Int? = nil) throws -> Int {
        try store.inBatch { _ in
            try maintainer.batch {
                var applied = 0
                for (index, version) in versions.enumerated() {
                    // Written part way, as the consumer does while it waits for more (``MartMaintainer/flush()``).
                    if let flushEvery, index > 0, index % flushEvery == 0 { try maintainer.flush() }
                    if try maintainer.apply(try version.staged(), at: version.position) == .applied { applied += 1 }
                }
                return applied
            }
        }
    }

    func verify() throws -> [MartComparison] { try MartVerifier(database: store.database).verify() }

    /// A mart's exported columns, every row, in grain order.
    func rows(_ mart: MartDefinition) throws -> [[SQLiteValue]] {
        try store.database.prepare("SELECT \(mart.columns.joined(separator: ", ")) FROM \(mart.name) ORDER BY \(mart.grain.joined(separator: ", "))").rows()
    }

    func rows(_ mart: MartDefinition, where condition: String) throws -> [[String: SQLiteValue]] {
        let statement = try store.database.prepare("SELECT \(mart.columns.joined(separator: ", ")) FROM \(mart.name) WHERE \(condition)")
        return try statement.rows().map { Dictionary(uniqueKeysWithValues: zip(mart.columns, $0)) }
    }
}

/// Every row of an export as first versions, in file order (organizations and providers first).
func loadVersions(_ directory: String, firstIngestedMs: Int64 = 1_700_000_000_000) throws -> [Version] {
    let export = try SyntheaExport(directory: directory)
    var versions: [Version] = []
    for entity in [Entity.organizations, .providers, .patients, .encounters, .conditions, .medications] {
        try export.forEachRow(entity) { row in
            let n = Int64(versions.count)
            versions.append(Version(entity: entity, row: Dictionary(uniqueKeysWithValues: zip(row.header.names, row.values)),
                                    position: SourcePosition(topic: "emr.raw.\(entity.rawValue)", partition: 0, offset: n,
                                                             ingestedMs: firstIngestedMs + n)))
        }
    }
    return versions
}
