import Foundation
import Kafka
import Logging
import Marts
import Pipeline
import Staging
import State
import Synthea
import Testing

/// Records published over Kafka in a random order across partitions, with duplicates and newer
/// versions, consumed by the service: the marts verify and equal a direct clean application of
/// the final versions.
@Suite("Consumer service over Kafka: arrival order does not matter")
struct ConsumerOverKafkaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = root.deletingLastPathComponent().appendingPathComponent("shared/synthea/dverma-L3c-16p").path

    struct Published {
        var entity: Entity
        var row: [String: String]
        var ceTimeMs: Int64
    }

    static func rows(_ directory: String) throws -> [(Entity, [String: String])] {
        let export = try SyntheaExport(directory: directory)
        var rows: [(Entity, [String: String])] = []
        for entity in Entity.allCases {
            try export.forEachRow(entity) { rows.append((entity, Dictionary(uniqueKeysWithValues: zip($0.header.names, $0.values)))) }
        }
        return rows
    }

    @Test("shuffled across partitions, duplicated, with newer versions: verify passes, marts equal a clean run",
          .enabled(if: FileManager.default.fileExists(atPath: shared), "../shared/synthea is absent: skipped"))
    func shuffledOverKafka() throws {
        let seed = ProcessInfo.processInfo.environment["EMR_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...1_000_000)
        var random = SeededRandom(seed: seed)
        let context = "seed \(seed) (rerun with EMR_TEST_SEED=\(seed))"
        var published: [Published] = []
        var time: Int64 = 1_750_000_000_000
        for (entity, row) in try Self.rows(Self.shared) {
            time += 10
            published.append(Published(entity: entity, row: row, ceTimeMs: time))
        }
        let firstCount = published.count
        for i in 0..<firstCount where random.chance(0.1) {
            var newer = published[i]
            switch newer.entity {
            case .patients: newer.row["BIRTHDATE"] = random.pick(["1950-03-04", "2001-12-31", "1890-01-01"])
            case .encounters: newer.row["ENCOUNTERCLASS"] = random.pick(["emergency", "inpatient", "wellness"]); newer.row["TOTAL_CLAIM_COST"] = "12.5e1"
            case .medications: newer.row["TOTALCOST"] = "\(random.int(0...5_000)).25"
            case .conditions: newer.row["DESCRIPTION"] = "Severe anxiety (panic) (finding)"
            default: newer.row["NAME"] = "renamed"
            }
            time += 10
            newer.ceTimeMs = time
            published.append(newer)
        }
        published += published.filter { _ in random.chance(0.05) }  // duplicates with the same ce_time
        published.shuffle(using: &random)

        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let catalog = try TopicCatalog.load(directory: Self.root.appendingPathComponent("topics").path)
        let broker = try EmbeddedBroker(logger: logger)
        try broker.createTopics(catalog)
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
        let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka), logger: logger)
        let topics = try RecordMessageBuilder(catalog: catalog).topics
        for p in published {
            let partitions = catalog.topics.first { $0.name == topics[p.entity] }!.partitions
            let value = try JSONSerialization.data(withJSONObject: p.row)
            try producer.produce(OutgoingMessage(
                topic: topics[p.entity]!, partition: .explicit(Int32(random.int(0...Int(partitions - 1)))),
                key: Array(EntitySchema.of(p.entity).naturalKey(of: p.row).utf8), value: Array(value),
                headers: [KafkaHeader(CloudEventHeader.time, RFC3339.format(Date(timeIntervalSince1970: Double(p.ceTimeMs) / 1000)))]))
        }
        try producer.flush(timeoutMs: 30_000)

        let work = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-diff-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var options = ConsumeOptions(statePath: "\(work)/consumed.sqlite")
        options.exitWhenCaughtUp = true
        options.quietPeriodMs = 500
        options.batchSize = random.int(20...900)
        let result = try ConsumerService(options: options, kafka: kafka, catalog: catalog, logger: logger).run()
        #expect(result.totals.read == published.count, "\(context)")
        #expect(result.totals.rejected == 0, "\(context)")

        // A fresh state file in the same group reads everything again: the group's committed
        // offsets never decide where a state file starts.
        var again = options
        again.statePath = "\(work)/again.sqlite"
        let reread = try ConsumerService(options: again, kafka: kafka, catalog: catalog, logger: logger).run()
        #expect(reread.totals.read == published.count, "\(context): a new state file in the same group must start at the beginning")

        let consumed = try StateStore(readingExisting: "\(work)/consumed.sqlite", migrations: MartSchema.migrations)
        for comparison in try MartVerifier(database: consumed.database).verify() {
            #expect(comparison.matches, "\(context): \(comparison.mart) \(comparison.examples)")
        }

        // Clean run: only the final version of each key, applied directly in file order.
        var latest: [String: Published] = [:]
        for p in published {
            let id = "\(p.entity.rawValue)#\(EntitySchema.of(p.entity).naturalKey(of: p.row))"
            if let current = latest[id], current.ceTimeMs >= p.ceTimeMs { continue }
            latest[id] = p
        }
        let clean = try StateStore(path: "\(work)/clean.sqlite", migrations: MartSchema.migrations)
        let maintainer = try MartMaintainer(database: clean.database)
        try clean.inBatch { _ in
            for (offset, p) in latest.values.sorted(by: { $0.ceTimeMs < $1.ceTimeMs }).enumerated() {
                guard case .accepted(let record) = Stager.stage(p.entity, value: p.row, key: nil) else {
                    Issue.record("\(context): rejected \(p.row)")
                    continue
                }
                try maintainer.apply(record, at: SourcePosition(topic: "clean", partition: 0, offset: Int64(offset), ingestedMs: p.ceTimeMs))
            }
        }
        for mart in MartCatalog.all {
            let sql = "SELECT \(mart.columns.joined(separator: ", ")) FROM \(mart.name) ORDER BY \(mart.grain.joined(separator: ", "))"
            let a = try consumed.database.prepare(sql).rows(), b = try clean.database.prepare(sql).rows()
            #expect(a.count == b.count, "\(context): \(mart.name) \(a.count) rows, clean run \(b.count)")
            #expect(a == b, "\(context): \(mart.name) differs from the clean run")
        }
        #expect(try clean.database.scalar("SELECT count(*) FROM fact_patient_encounters")?.int ?? 0 > 0)
    }
}
